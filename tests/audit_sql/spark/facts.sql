SELECT *,
xxhash64(problem, deferred, purpose, categories, destination, k0) AS sig
FROM (
  SELECT eid,
  line,
  problem,
  deferred,
  purpose,
  categories,
  destination,
  subject_id,
  at_us,
  CAST(
    CAST(CASE WHEN h1 IS NULL THEN 0 WHEN h1 THEN 1 ELSE 2 END AS BIGINT) * CAST(1 AS BIGINT) + CAST(CASE WHEN h2 IS NULL THEN 0 WHEN h2 THEN 1 ELSE 2 END AS BIGINT) * CAST(4 AS BIGINT) + CAST(CASE WHEN h3 IS NULL THEN 0 WHEN h3 THEN 1 ELSE 2 END AS BIGINT) * CAST(16 AS BIGINT) + CAST(CASE WHEN h4 IS NULL THEN 0 WHEN h4 THEN 1 ELSE 2 END AS BIGINT) * CAST(64 AS BIGINT) + CAST(CASE WHEN consent_held IS NULL THEN 0 WHEN consent_held THEN 1 ELSE 2 END AS BIGINT) * CAST(256 AS BIGINT) AS BIGINT
  ) AS k0
  FROM (
    SELECT eid,
    file,
    line_number,
    line,
    valid,
    problem,
    deferred,
    purpose,
    categories,
    destination,
    subject_id,
    at_us,
    CASE
    WHEN array_contains(CAST(array('billing') AS ARRAY<STRING>), purpose)
    AND array_contains(CAST(array('US') AS ARRAY<STRING>), destination) THEN (
      (
        (
          (
            CASE recipient
            WHEN 'mailer' THEN 'processor'
            WHEN 'office' THEN 'controller' END = 'processor'
          )
        )
        AND ((CASE WHEN 'dpf' IS NULL THEN NULL ELSE array_contains(safeguards, 'dpf') END))
      )
    ) END AS h1,
    CASE
    WHEN array_contains(CAST(array('newsletter') AS ARRAY<STRING>), purpose) THEN (
      (
        (
          subject_age >= CAST(
            CASE
            WHEN subject_country IS NULL THEN NULL
            ELSE coalesce(
              element_at(
                CAST(array(NULL, 15, NULL, NULL, NULL) AS ARRAY<BIGINT>),
                CAST(
                  CASE
                  WHEN (instr(subject_country, '|') > 0) THEN 0
                  ELSE instr('|FR|', ('|' || subject_country || '|')) END AS INT
                ) + 1
              ),
              16
            ) END AS BIGINT
          )
        )
      )
      AND (
        NOT (
          CASE
          WHEN size(objections) = 0 THEN false
          ELSE coalesce(arrays_overlap(objections, ancestors), false) END
        )
      )
    ) END AS h2,
    (
      (
        CASE
        WHEN (NOT ((CASE WHEN 'scc' IS NULL THEN NULL ELSE array_contains(safeguards, 'scc') END))) THEN true
        ELSE (
          (
            CASE
            WHEN CASE
            WHEN variant_get(context, '$.channel', 'variant') IS NULL THEN NULL
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END = 'VARCHAR' THEN array_contains(
              CAST(array('app', 'web') AS ARRAY<STRING>),
              try_variant_get(context, '$.channel', 'string')
            )
            WHEN CASE
            WHEN variant_get(context, '$.channel', 'variant') IS NULL THEN NULL
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END IN ('VARCHAR', 'BOOLEAN')
            OR CASE
            WHEN variant_get(context, '$.channel', 'variant') IS NULL THEN NULL
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(variant_get(context, '$.channel', 'variant')) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END IN ('BIGINT', 'DOUBLE') THEN false END
          )
        )
        OR (NOT ((CASE WHEN 'scc' IS NULL THEN NULL ELSE array_contains(safeguards, 'scc') END))) END
      )
    ) AS h3,
    CASE
    WHEN array_contains(CAST(array('newsletter') AS ARRAY<STRING>), purpose) THEN (
      (
        (NOT ((subject_age IS NOT NULL)))
        AND (
          ((variant_get(context, '$.channel.web', 'variant') IS NOT NULL))
          OR ((collected_us IS NOT NULL))
        )
      )
    ) END AS h4,
    CASE
    WHEN basis = 'consent' THEN ((consent_bits & 1) <> 0) END AS consent_held
    FROM (
      SELECT *,
      CASE
      WHEN purpose = 'billing' THEN 'contract'
      WHEN purpose = 'newsletter' THEN 'consent' END AS basis,
      CASE
      WHEN purpose = 'billing' THEN CAST(array('billing') AS ARRAY<STRING>)
      WHEN purpose = 'newsletter' THEN CAST(array('newsletter') AS ARRAY<STRING>) END AS ancestors
      FROM (SELECT * FROM lawful_rows)
    ) AS b
  ) AS f
) AS s
