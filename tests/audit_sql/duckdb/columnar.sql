SELECT eid,
file,
line_number,
line,
problem IS NULL AS valid,
problem,
true AS deferred,
purpose,
categories,
destination,
CASE WHEN problem IS NULL THEN subject.id END AS subject_id,
CASE WHEN problem IS NULL THEN CAST(subject.age AS BIGINT) END AS subject_age,
CASE WHEN problem IS NULL THEN subject.country END AS subject_country,
CASE WHEN problem IS NULL THEN subject.kind END AS subject_kind,
CASE WHEN problem IS NULL THEN coalesce(subject.objections, []::VARCHAR[]) END AS objections,
CASE WHEN problem IS NULL THEN coalesce(safeguards, []::VARCHAR[]) END AS safeguards,
CASE WHEN problem IS NULL THEN coalesce(automated, false) END AS automated,
CASE
WHEN problem IS NULL THEN CASE
WHEN (epoch_us(collected_at) BETWEEN -62135596800000000 AND 253402300799999999) THEN epoch_us(collected_at) END END AS collected_us,
CASE WHEN problem IS NULL THEN TRY_CAST(context AS JSON) END AS context,
CASE WHEN problem IS NULL THEN CAST(NULL AS VARCHAR) END AS recipient,
CASE WHEN problem IS NULL THEN 'controller' END AS exporter,
CASE WHEN problem IS NULL THEN lawful_scan & 7 END AS consent_bits,
CASE
WHEN problem IS NULL THEN lawful_at END AS at_us
FROM (
  SELECT *,
  CASE
  WHEN NOT coalesce((subject.age IS NULL OR subject.age BETWEEN 0 AND 200), false) THEN '`subject.age`'
  WHEN NOT coalesce(
    (
      subject.country IS NULL
      OR (
        NOT contains(subject.country, '|')
        AND contains(
          '|AD|AE|AF|AG|AI|AL|AM|AO|AQ|AR|AS|AT|AU|AW|AX|AZ|BA|BB|BD|BE|BF|BG|BH|BI|BJ|BL|BM|BN|BO|BQ|BR|BS|BT|BV|BW|BY|BZ|CA|CC|CD|CF|CG|CH|CI|CK|CL|CM|CN|CO|CR|CU|CV|CW|CX|CY|CZ|DE|DJ|DK|DM|DO|DZ|EC|EE|EG|EH|ER|ES|ET|FI|FJ|FK|FM|FO|FR|GA|GB|GD|GE|GF|GG|GH|GI|GL|GM|GN|GP|GQ|GR|GS|GT|GU|GW|GY|HK|HM|HN|HR|HT|HU|ID|IE|IL|IM|IN|IO|IQ|IR|IS|IT|JE|JM|JO|JP|KE|KG|KH|KI|KM|KN|KP|KR|KW|KY|KZ|LA|LB|LC|LI|LK|LR|LS|LT|LU|LV|LY|MA|MC|MD|ME|MF|MG|MH|MK|ML|MM|MN|MO|MP|MQ|MR|MS|MT|MU|MV|MW|MX|MY|MZ|NA|NC|NE|NF|NG|NI|NL|NO|NP|NR|NU|NZ|OM|PA|PE|PF|PG|PH|PK|PL|PM|PN|PR|PS|PT|PW|PY|QA|RE|RO|RS|RU|RW|SA|SB|SC|SD|SE|SG|SH|SI|SJ|SK|SL|SM|SN|SO|SR|SS|ST|SV|SX|SY|SZ|TC|TD|TF|TG|TH|TJ|TK|TL|TM|TN|TO|TR|TT|TV|TW|TZ|UA|UG|UM|US|UY|UZ|VA|VC|VE|VG|VI|VN|VU|WF|WS|YE|YT|ZA|ZM|ZW|',
          ('|' || subject.country || '|')
        )
      )
    ),
    false
  ) THEN '`subject.country`'
  WHEN NOT coalesce(
    (
      len(
        list_filter(
          coalesce(subject.objections, []::VARCHAR[]),
          lambda x: NOT coalesce(list_contains(['billing', 'newsletter']::VARCHAR[], x), false)
        )
      ) = 0
    ),
    false
  ) THEN '`subject.objections`'
  WHEN NOT coalesce(
    (
      collected_at IS NULL
      OR CASE
      WHEN (epoch_us(collected_at) BETWEEN -62135596800000000 AND 253402300799999999) THEN epoch_us(collected_at) END IS NOT NULL
    ),
    false
  ) THEN '`collected_at`'
  WHEN NOT coalesce(
    (
      "at" IS NULL
      OR CASE
      WHEN (epoch_us("at") BETWEEN -62135596800000000 AND 253402300799999999) THEN epoch_us("at") END IS NOT NULL
    ),
    false
  ) THEN '`at`'
  WHEN NOT coalesce(
    (
      context IS NULL
      OR (
        lawful_context_problem IS NULL
        AND coalesce(json_type(TRY_CAST(context AS JSON)), 'NULL') IN ('OBJECT', 'NULL')
      )
    ),
    false
  ) THEN '`context`'
  WHEN NOT coalesce(
    (
      CASE
      WHEN (epoch_us(collected_at) BETWEEN -62135596800000000 AND 253402300799999999) THEN epoch_us(collected_at) END IS NULL
      OR CASE
      WHEN (epoch_us(collected_at) BETWEEN -62135596800000000 AND 253402300799999999) THEN epoch_us(collected_at) END <= lawful_at
    ),
    false
  ) THEN '`collected_at` is later than `at`'
  WHEN NOT coalesce((lawful_scan & 8) = 0, false) THEN '`subject.consents`' END AS problem
  FROM (
    SELECT *,
    coalesce(
      list_bit_or(
        list_transform(
          subject.consents,
          lambda c: CASE
          WHEN coalesce(
            NOT (
              list_contains(['billing', 'newsletter']::VARCHAR[], c.purpose)
              AND c.given_at IS NOT NULL
              AND CASE
              WHEN (epoch_us(c.given_at) BETWEEN -62135596800000000 AND 253402300799999999) THEN epoch_us(c.given_at) END IS NOT NULL
              AND (
                c.withdrawn_at IS NULL
                OR CASE
                WHEN (epoch_us(c.withdrawn_at) BETWEEN -62135596800000000 AND 253402300799999999) THEN epoch_us(c.withdrawn_at) END IS NOT NULL
              )
            ),
            true
          ) THEN 8
          WHEN CASE
          WHEN (epoch_us(c.given_at) BETWEEN -62135596800000000 AND 253402300799999999) THEN epoch_us(c.given_at) END <= lawful_at
          AND (
            CASE
            WHEN (epoch_us(c.withdrawn_at) BETWEEN -62135596800000000 AND 253402300799999999) THEN epoch_us(c.withdrawn_at) END IS NULL
            OR CASE
            WHEN (epoch_us(c.withdrawn_at) BETWEEN -62135596800000000 AND 253402300799999999) THEN epoch_us(c.withdrawn_at) END > lawful_at
          )
          AND (NOT contains(c.purpose, '|') AND contains(lawful_cover, ('|' || c.purpose || '|'))) THEN 1 + CASE
          WHEN coalesce(c.explicit, false) THEN 2
          ELSE 0 END + CASE
          WHEN coalesce(c.parental, false) THEN 4
          ELSE 0 END
          ELSE 0 END
        )
      ),
      0
    ) AS lawful_scan
    FROM (
      SELECT *,
      coalesce(
        CASE
        WHEN (epoch_us("at") BETWEEN -62135596800000000 AND 253402300799999999) THEN epoch_us("at") END,
        1795000000000000
      ) AS lawful_at,
      CASE
      WHEN purpose = 'billing' THEN '|billing|'
      WHEN purpose = 'newsletter' THEN '|newsletter|' END AS lawful_cover
      FROM lawful_columns
    ) AS timed
  ) AS s
) AS checked
