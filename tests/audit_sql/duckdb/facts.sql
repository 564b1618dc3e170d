SELECT *,
hash(problem, deferred, purpose, categories, destination, k0) AS sig
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
    WHEN list_contains(['billing']::VARCHAR[], purpose)
    AND list_contains(['US']::VARCHAR[], destination) THEN (
      (
        (
          (
            CASE recipient
            WHEN 'mailer' THEN 'processor'
            WHEN 'office' THEN 'controller' END = 'processor'
          )
        )
        AND ((CASE WHEN 'dpf' IS NULL THEN NULL ELSE list_contains(safeguards, 'dpf') END))
      )
    ) END AS h1,
    CASE
    WHEN list_contains(['newsletter']::VARCHAR[], purpose) THEN (
      (
        (
          subject_age >= CAST(
            CASE
            WHEN subject_country IS NULL THEN NULL
            ELSE coalesce(
              ([NULL, 15, NULL, NULL, NULL]::BIGINT[])[CASE
              WHEN contains(subject_country, '|') THEN 0
              ELSE instr('|FR|', ('|' || subject_country || '|')) END + 1],
              16
            ) END AS BIGINT
          )
        )
      )
      AND (NOT (CASE WHEN len(objections) = 0 THEN false ELSE list_has_any(objections, ancestors) END))
    ) END AS h2,
    (
      (
        CASE
        WHEN (NOT ((CASE WHEN 'scc' IS NULL THEN NULL ELSE list_contains(safeguards, 'scc') END))) THEN true
        ELSE (
          (
            CASE
            WHEN json_type(context, '$."channel"') = 'VARCHAR' THEN list_contains(['app', 'web']::VARCHAR[], json_extract_string(context, '$."channel"'))
            WHEN json_type(context, '$."channel"') IN ('VARCHAR', 'BOOLEAN')
            OR json_type(context, '$."channel"') IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN false END
          )
        )
        OR (NOT ((CASE WHEN 'scc' IS NULL THEN NULL ELSE list_contains(safeguards, 'scc') END))) END
      )
    ) AS h3,
    CASE
    WHEN list_contains(['newsletter']::VARCHAR[], purpose) THEN (
      (
        (NOT ((subject_age IS NOT NULL)))
        AND (((json_extract(context, '$."channel"."web"') IS NOT NULL)) OR ((collected_us IS NOT NULL)))
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
      WHEN purpose = 'billing' THEN ['billing']::VARCHAR[]
      WHEN purpose = 'newsletter' THEN ['newsletter']::VARCHAR[] END AS ancestors
      FROM (SELECT * FROM lawful_rows)
    ) AS b
  ) AS f
) AS s
