SELECT eid,
file,
line_number,
line,
problem IS NULL AS valid,
problem,
false AS deferred,
CASE WHEN problem IS NULL THEN json_extract_string(j_purpose, '$') END AS purpose,
CASE
WHEN problem IS NULL THEN list_transform(coalesce(json_extract(j_categories, '$[*]'), []::JSON[]), lambda x: json_extract_string(x, '$')) END AS categories,
CASE
WHEN problem IS NULL THEN coalesce(
  json_extract_string(j_destination, '$'),
  CASE json_extract_string(j_recipient, '$') WHEN 'mailer' THEN 'US' WHEN 'office' THEN 'FR' END
) END AS destination,
CASE WHEN problem IS NULL THEN json_extract_string(j_subject_id, '$') END AS subject_id,
CASE
WHEN problem IS NULL THEN TRY_CAST(json_extract_string(j_subject_age, '$') AS BIGINT) END AS subject_age,
CASE WHEN problem IS NULL THEN json_extract_string(j_subject_country, '$') END AS subject_country,
CASE WHEN problem IS NULL THEN json_extract_string(j_subject_kind, '$') END AS subject_kind,
CASE
WHEN problem IS NULL THEN list_transform(
  coalesce(json_extract(j_subject_objections, '$[*]'), []::JSON[]),
  lambda x: json_extract_string(x, '$')
) END AS objections,
CASE
WHEN problem IS NULL THEN list_sort(
  list_distinct(
    flatten(
      [coalesce(
        list_transform(
          coalesce(json_extract(j_safeguards, '$[*]'), []::JSON[]),
          lambda x: json_extract_string(x, '$')
        ),
        []::VARCHAR[]
      ),
      coalesce(
        CASE json_extract_string(j_recipient, '$')
        WHEN 'mailer' THEN ['dpf']::VARCHAR[]
        WHEN 'office' THEN []::VARCHAR[] END,
        []::VARCHAR[]
      )]
    )
  )
) END AS safeguards,
CASE
WHEN problem IS NULL THEN coalesce((json_extract_string(j_automated, '$') = 'true'), false) END AS automated,
CASE
WHEN problem IS NULL THEN coalesce(json_extract_string(j_exporter, '$'), 'controller') END AS exporter,
CASE
WHEN problem IS NULL THEN (
  list_transform(
    [json_extract_string(j_collected_at, '$')],
    lambda ts: CASE
    WHEN regexp_full_match(
      ts,
      '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?'
    )
    AND NOT starts_with(ts, '0000') THEN (
      list_transform(
        [epoch_us(TRY_CAST(upper(ts) AS TIMESTAMP)) - CASE
        WHEN length(ts) > 19
        AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
          CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
        ) * 60000000
        ELSE 0 END],
        lambda us: CASE WHEN us BETWEEN -62135596800000000 AND 253402300799999999 THEN us END
      )
    )[1] END
  )
)[1] END AS collected_us,
CASE WHEN problem IS NULL THEN json_extract(j_context, '$') END AS context,
CASE WHEN problem IS NULL THEN json_extract_string(j_recipient, '$') END AS recipient,
CASE
WHEN problem IS NULL THEN coalesce(
  list_bit_or(
    list_transform(
      list_transform(
        coalesce(json_extract(j_subject_consents, '$[*]'), []::JSON[]),
        lambda c: {'purpose': json_extract_string(c, '$."purpose"'),
        'given_at': (
          list_transform(
            [json_extract_string(c, '$."given_at"')],
            lambda ts: CASE
            WHEN regexp_full_match(
              ts,
              '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?'
            )
            AND NOT starts_with(ts, '0000') THEN (
              list_transform(
                [epoch_us(TRY_CAST(upper(ts) AS TIMESTAMP)) - CASE
                WHEN length(ts) > 19
                AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                  CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                ) * 60000000
                ELSE 0 END],
                lambda us: CASE
                WHEN us BETWEEN -62135596800000000
                AND 253402300799999999 THEN us END
              )
            )[1] END
          )
        )[1],
        'withdrawn_at': (
          list_transform(
            [json_extract_string(c, '$."withdrawn_at"')],
            lambda ts: CASE
            WHEN regexp_full_match(
              ts,
              '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?'
            )
            AND NOT starts_with(ts, '0000') THEN (
              list_transform(
                [epoch_us(TRY_CAST(upper(ts) AS TIMESTAMP)) - CASE
                WHEN length(ts) > 19
                AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                  CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                ) * 60000000
                ELSE 0 END],
                lambda us: CASE
                WHEN us BETWEEN -62135596800000000
                AND 253402300799999999 THEN us END
              )
            )[1] END
          )
        )[1],
        'explicit': coalesce((json_extract_string(c, '$."explicit"') = 'true'), false),
        'parental': coalesce((json_extract_string(c, '$."parental"') = 'true'), false),
        'age': TRY_CAST(json_extract_string(c, '$."age"') AS BIGINT)}
      ),
      lambda c: CASE
      WHEN c.given_at <= lawful_at
      AND (c.withdrawn_at IS NULL OR c.withdrawn_at > lawful_at)
      AND (NOT contains(c.purpose, '|') AND contains(lawful_cover, ('|' || c.purpose || '|'))) THEN 1 + CASE
      WHEN c.explicit THEN 2
      ELSE 0 END + CASE
      WHEN c.parental THEN 4
      ELSE 0 END
      ELSE 0 END
    )
  ),
  0
) END AS consent_bits,
CASE
WHEN problem IS NULL THEN lawful_at END AS at_us
FROM (
  SELECT *,
  coalesce(
    lawful_problem,
    CASE
    WHEN NOT coalesce((j IS NOT NULL AND json_type(j) = 'OBJECT'), false) THEN 'the line is not a JSON object'
    WHEN NOT coalesce(
      (
        len(
          list_filter(
            json_keys(j),
            lambda k: NOT coalesce(
              list_contains(
                ['purpose',
                'categories',
                'destination',
                'recipient',
                'subject',
                'safeguards',
                'exporter',
                'automated',
                'collected_at',
                'at',
                'context']::VARCHAR[],
                k
              ),
              false
            )
          )
        ) = 0
      ),
      false
    ) THEN 'an unknown field'
    WHEN NOT coalesce(
      (
        (json_type(j_purpose) = 'VARCHAR')
        AND list_contains(['billing', 'newsletter']::VARCHAR[], json_extract_string(j_purpose, '$'))
      ),
      false
    ) THEN '`purpose`'
    WHEN NOT coalesce(
      (
        (
          (json_type(j_categories) = 'ARRAY')
          AND (
            len(
              list_filter(
                coalesce(json_extract(j_categories, '$[*]'), []::JSON[]),
                lambda x: NOT coalesce(
                  (
                    json_type(x) = 'VARCHAR'
                    AND list_contains(['contact', 'contact.email', 'health']::VARCHAR[], json_extract_string(x, '$'))
                  ),
                  false
                )
              )
            ) = 0
          )
        )
        AND len(coalesce(json_extract(j_categories, '$[*]'), []::JSON[])) > 0
      ),
      false
    ) THEN '`categories`'
    WHEN NOT coalesce(
      (
        (coalesce(json_type(j_recipient), 'NULL') = 'NULL')
        OR (
          (json_type(j_recipient) = 'VARCHAR')
          AND list_contains(['mailer', 'office']::VARCHAR[], json_extract_string(j_recipient, '$'))
        )
      ),
      false
    ) THEN '`recipient`'
    WHEN NOT coalesce(
      (
        CASE
        WHEN (coalesce(json_type(j_recipient), 'NULL') = 'NULL') THEN (
          (json_type(j_destination) = 'VARCHAR')
          AND (
            NOT contains(json_extract_string(j_destination, '$'), '|')
            AND contains(
              '|AD|AE|AF|AG|AI|AL|AM|AO|AQ|AR|AS|AT|AU|AW|AX|AZ|BA|BB|BD|BE|BF|BG|BH|BI|BJ|BL|BM|BN|BO|BQ|BR|BS|BT|BV|BW|BY|BZ|CA|CC|CD|CF|CG|CH|CI|CK|CL|CM|CN|CO|CR|CU|CV|CW|CX|CY|CZ|DE|DJ|DK|DM|DO|DZ|EC|EE|EG|EH|ER|ES|ET|FI|FJ|FK|FM|FO|FR|GA|GB|GD|GE|GF|GG|GH|GI|GL|GM|GN|GP|GQ|GR|GS|GT|GU|GW|GY|HK|HM|HN|HR|HT|HU|ID|IE|IL|IM|IN|IO|IQ|IR|IS|IT|JE|JM|JO|JP|KE|KG|KH|KI|KM|KN|KP|KR|KW|KY|KZ|LA|LB|LC|LI|LK|LR|LS|LT|LU|LV|LY|MA|MC|MD|ME|MF|MG|MH|MK|ML|MM|MN|MO|MP|MQ|MR|MS|MT|MU|MV|MW|MX|MY|MZ|NA|NC|NE|NF|NG|NI|NL|NO|NP|NR|NU|NZ|OM|PA|PE|PF|PG|PH|PK|PL|PM|PN|PR|PS|PT|PW|PY|QA|RE|RO|RS|RU|RW|SA|SB|SC|SD|SE|SG|SH|SI|SJ|SK|SL|SM|SN|SO|SR|SS|ST|SV|SX|SY|SZ|TC|TD|TF|TG|TH|TJ|TK|TL|TM|TN|TO|TR|TT|TV|TW|TZ|UA|UG|UM|US|UY|UZ|VA|VC|VE|VG|VI|VN|VU|WF|WS|YE|YT|ZA|ZM|ZW|',
              ('|' || json_extract_string(j_destination, '$') || '|')
            )
          )
        )
        WHEN (coalesce(json_type(j_destination), 'NULL') = 'NULL') THEN true
        ELSE (
          (json_type(j_destination) = 'VARCHAR')
          AND (
            NOT contains(json_extract_string(j_destination, '$'), '|')
            AND contains(
              '|AD|AE|AF|AG|AI|AL|AM|AO|AQ|AR|AS|AT|AU|AW|AX|AZ|BA|BB|BD|BE|BF|BG|BH|BI|BJ|BL|BM|BN|BO|BQ|BR|BS|BT|BV|BW|BY|BZ|CA|CC|CD|CF|CG|CH|CI|CK|CL|CM|CN|CO|CR|CU|CV|CW|CX|CY|CZ|DE|DJ|DK|DM|DO|DZ|EC|EE|EG|EH|ER|ES|ET|FI|FJ|FK|FM|FO|FR|GA|GB|GD|GE|GF|GG|GH|GI|GL|GM|GN|GP|GQ|GR|GS|GT|GU|GW|GY|HK|HM|HN|HR|HT|HU|ID|IE|IL|IM|IN|IO|IQ|IR|IS|IT|JE|JM|JO|JP|KE|KG|KH|KI|KM|KN|KP|KR|KW|KY|KZ|LA|LB|LC|LI|LK|LR|LS|LT|LU|LV|LY|MA|MC|MD|ME|MF|MG|MH|MK|ML|MM|MN|MO|MP|MQ|MR|MS|MT|MU|MV|MW|MX|MY|MZ|NA|NC|NE|NF|NG|NI|NL|NO|NP|NR|NU|NZ|OM|PA|PE|PF|PG|PH|PK|PL|PM|PN|PR|PS|PT|PW|PY|QA|RE|RO|RS|RU|RW|SA|SB|SC|SD|SE|SG|SH|SI|SJ|SK|SL|SM|SN|SO|SR|SS|ST|SV|SX|SY|SZ|TC|TD|TF|TG|TH|TJ|TK|TL|TM|TN|TO|TR|TT|TV|TW|TZ|UA|UG|UM|US|UY|UZ|VA|VC|VE|VG|VI|VN|VU|WF|WS|YE|YT|ZA|ZM|ZW|',
              ('|' || json_extract_string(j_destination, '$') || '|')
            )
          )
        )
        AND json_extract_string(j_destination, '$') = CASE json_extract_string(j_recipient, '$')
        WHEN 'mailer' THEN 'US'
        WHEN 'office' THEN 'FR' END END
      ),
      false
    ) THEN '`destination`'
    WHEN NOT coalesce(
      (
        (coalesce(json_type(j_subject), 'NULL') = 'NULL')
        OR (
          (json_type(j_subject) = 'OBJECT')
          AND (
            len(
              list_filter(
                json_keys(j_subject),
                lambda k: NOT coalesce(
                  list_contains(['id', 'age', 'country', 'kind', 'consents', 'objections']::VARCHAR[], k),
                  false
                )
              )
            ) = 0
          )
        )
      ),
      false
    ) THEN '`subject`'
    WHEN NOT coalesce(
      (
        (coalesce(json_type(j_subject_id), 'NULL') = 'NULL')
        OR (json_type(j_subject_id) = 'VARCHAR')
      ),
      false
    ) THEN '`subject.id`'
    WHEN NOT coalesce(
      (
        (coalesce(json_type(j_subject_kind), 'NULL') = 'NULL')
        OR (json_type(j_subject_kind) = 'VARCHAR')
      ),
      false
    ) THEN '`subject.kind`'
    WHEN NOT coalesce(
      (
        (coalesce(json_type(j_subject_age), 'NULL') = 'NULL')
        OR (
          json_type(j_subject_age) IN ('BIGINT', 'UBIGINT')
          AND TRY_CAST(json_extract_string(j_subject_age, '$') AS BIGINT) BETWEEN 0
          AND 200
        )
      ),
      false
    ) THEN '`subject.age`'
    WHEN NOT coalesce(
      (
        (coalesce(json_type(j_subject_country), 'NULL') = 'NULL')
        OR (
          (json_type(j_subject_country) = 'VARCHAR')
          AND (
            NOT contains(json_extract_string(j_subject_country, '$'), '|')
            AND contains(
              '|AD|AE|AF|AG|AI|AL|AM|AO|AQ|AR|AS|AT|AU|AW|AX|AZ|BA|BB|BD|BE|BF|BG|BH|BI|BJ|BL|BM|BN|BO|BQ|BR|BS|BT|BV|BW|BY|BZ|CA|CC|CD|CF|CG|CH|CI|CK|CL|CM|CN|CO|CR|CU|CV|CW|CX|CY|CZ|DE|DJ|DK|DM|DO|DZ|EC|EE|EG|EH|ER|ES|ET|FI|FJ|FK|FM|FO|FR|GA|GB|GD|GE|GF|GG|GH|GI|GL|GM|GN|GP|GQ|GR|GS|GT|GU|GW|GY|HK|HM|HN|HR|HT|HU|ID|IE|IL|IM|IN|IO|IQ|IR|IS|IT|JE|JM|JO|JP|KE|KG|KH|KI|KM|KN|KP|KR|KW|KY|KZ|LA|LB|LC|LI|LK|LR|LS|LT|LU|LV|LY|MA|MC|MD|ME|MF|MG|MH|MK|ML|MM|MN|MO|MP|MQ|MR|MS|MT|MU|MV|MW|MX|MY|MZ|NA|NC|NE|NF|NG|NI|NL|NO|NP|NR|NU|NZ|OM|PA|PE|PF|PG|PH|PK|PL|PM|PN|PR|PS|PT|PW|PY|QA|RE|RO|RS|RU|RW|SA|SB|SC|SD|SE|SG|SH|SI|SJ|SK|SL|SM|SN|SO|SR|SS|ST|SV|SX|SY|SZ|TC|TD|TF|TG|TH|TJ|TK|TL|TM|TN|TO|TR|TT|TV|TW|TZ|UA|UG|UM|US|UY|UZ|VA|VC|VE|VG|VI|VN|VU|WF|WS|YE|YT|ZA|ZM|ZW|',
              ('|' || json_extract_string(j_subject_country, '$') || '|')
            )
          )
        )
      ),
      false
    ) THEN '`subject.country`'
    WHEN NOT coalesce(
      (
        (coalesce(json_type(j_subject_consents), 'NULL') = 'NULL')
        OR (
          (json_type(j_subject_consents) = 'ARRAY')
          AND (
            len(
              list_filter(
                coalesce(json_extract(j_subject_consents, '$[*]'), []::JSON[]),
                lambda c: NOT coalesce(
                  json_type(c) = 'OBJECT'
                  AND (
                    len(
                      list_filter(
                        json_keys(c),
                        lambda k: NOT coalesce(
                          list_contains(
                            ['purpose',
                            'given_at',
                            'withdrawn_at',
                            'explicit',
                            'parental',
                            'age']::VARCHAR[],
                            k
                          ),
                          false
                        )
                      )
                    ) = 0
                  )
                  AND json_type(c, '$."purpose"') = 'VARCHAR'
                  AND list_contains(['billing', 'newsletter']::VARCHAR[], json_extract_string(c, '$."purpose"'))
                  AND (
                    json_type(c, '$."given_at"') = 'VARCHAR'
                    AND (
                      list_transform(
                        [json_extract_string(c, '$."given_at"')],
                        lambda ts: CASE
                        WHEN regexp_full_match(
                          ts,
                          '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?'
                        )
                        AND NOT starts_with(ts, '0000') THEN (
                          list_transform(
                            [epoch_us(TRY_CAST(upper(ts) AS TIMESTAMP)) - CASE
                            WHEN length(ts) > 19
                            AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                              CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                            ) * 60000000
                            ELSE 0 END],
                            lambda us: CASE
                            WHEN us BETWEEN -62135596800000000
                            AND 253402300799999999 THEN us END
                          )
                        )[1] END
                      )
                    )[1] IS NOT NULL
                  )
                  AND (
                    coalesce(json_type(c, '$."withdrawn_at"'), 'NULL') = 'NULL'
                    OR (
                      json_type(c, '$."withdrawn_at"') = 'VARCHAR'
                      AND (
                        list_transform(
                          [json_extract_string(c, '$."withdrawn_at"')],
                          lambda ts: CASE
                          WHEN regexp_full_match(
                            ts,
                            '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?'
                          )
                          AND NOT starts_with(ts, '0000') THEN (
                            list_transform(
                              [epoch_us(TRY_CAST(upper(ts) AS TIMESTAMP)) - CASE
                              WHEN length(ts) > 19
                              AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                                CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                              ) * 60000000
                              ELSE 0 END],
                              lambda us: CASE
                              WHEN us BETWEEN -62135596800000000
                              AND 253402300799999999 THEN us END
                            )
                          )[1] END
                        )
                      )[1] IS NOT NULL
                    )
                  )
                  AND (coalesce(json_type(c, '$."explicit"'), 'NULL') IN ('NULL', 'BOOLEAN'))
                  AND (coalesce(json_type(c, '$."parental"'), 'NULL') IN ('NULL', 'BOOLEAN'))
                  AND (
                    coalesce(json_type(c, '$."age"'), 'NULL') = 'NULL'
                    OR (
                      json_type(c, '$."age"') IN ('BIGINT', 'UBIGINT')
                      AND TRY_CAST(json_extract_string(c, '$."age"') AS BIGINT) BETWEEN 0
                      AND 200
                    )
                  ),
                  false
                )
              )
            ) = 0
          )
        )
      ),
      false
    ) THEN '`subject.consents`'
    WHEN NOT coalesce(
      (
        (coalesce(json_type(j_subject_objections), 'NULL') = 'NULL')
        OR (
          (json_type(j_subject_objections) = 'ARRAY')
          AND (
            len(
              list_filter(
                coalesce(json_extract(j_subject_objections, '$[*]'), []::JSON[]),
                lambda x: NOT coalesce(
                  (
                    json_type(x) = 'VARCHAR'
                    AND list_contains(['billing', 'newsletter']::VARCHAR[], json_extract_string(x, '$'))
                  ),
                  false
                )
              )
            ) = 0
          )
        )
      ),
      false
    ) THEN '`subject.objections`'
    WHEN NOT coalesce(
      (
        (coalesce(json_type(j_safeguards), 'NULL') = 'NULL')
        OR (
          (json_type(j_safeguards) = 'ARRAY')
          AND (
            len(
              list_filter(
                coalesce(json_extract(j_safeguards, '$[*]'), []::JSON[]),
                lambda x: NOT coalesce(json_type(x) = 'VARCHAR', false)
              )
            ) = 0
          )
        )
      ),
      false
    ) THEN '`safeguards`'
    WHEN NOT coalesce(
      ((coalesce(json_type(j_automated), 'NULL') = 'NULL') OR (json_type(j_automated) = 'BOOLEAN')),
      false
    ) THEN '`automated`'
    WHEN NOT coalesce(
      (
        (coalesce(json_type(j_exporter), 'NULL') = 'NULL')
        OR (
          (json_type(j_exporter) = 'VARCHAR')
          AND list_contains(['controller', 'subject']::VARCHAR[], json_extract_string(j_exporter, '$'))
        )
      ),
      false
    ) THEN '`exporter`'
    WHEN NOT coalesce(
      (
        (coalesce(json_type(j_collected_at), 'NULL') = 'NULL')
        OR (
          json_type(j_collected_at) = 'VARCHAR'
          AND (
            list_transform(
              [json_extract_string(j_collected_at, '$')],
              lambda ts: CASE
              WHEN regexp_full_match(
                ts,
                '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?'
              )
              AND NOT starts_with(ts, '0000') THEN (
                list_transform(
                  [epoch_us(TRY_CAST(upper(ts) AS TIMESTAMP)) - CASE
                  WHEN length(ts) > 19
                  AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                    CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                  ) * 60000000
                  ELSE 0 END],
                  lambda us: CASE
                  WHEN us BETWEEN -62135596800000000
                  AND 253402300799999999 THEN us END
                )
              )[1] END
            )
          )[1] IS NOT NULL
        )
      ),
      false
    ) THEN '`collected_at`'
    WHEN NOT coalesce(
      (
        (coalesce(json_type(j_at), 'NULL') = 'NULL')
        OR (
          json_type(j_at) = 'VARCHAR'
          AND (
            list_transform(
              [json_extract_string(j_at, '$')],
              lambda ts: CASE
              WHEN regexp_full_match(
                ts,
                '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?'
              )
              AND NOT starts_with(ts, '0000') THEN (
                list_transform(
                  [epoch_us(TRY_CAST(upper(ts) AS TIMESTAMP)) - CASE
                  WHEN length(ts) > 19
                  AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                    CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                  ) * 60000000
                  ELSE 0 END],
                  lambda us: CASE
                  WHEN us BETWEEN -62135596800000000
                  AND 253402300799999999 THEN us END
                )
              )[1] END
            )
          )[1] IS NOT NULL
        )
      ),
      false
    ) THEN '`at`'
    WHEN NOT coalesce(
      ((coalesce(json_type(j_context), 'NULL') = 'NULL') OR (json_type(j_context) = 'OBJECT')),
      false
    ) THEN '`context`'
    WHEN NOT coalesce(
      (
        (
          list_transform(
            [json_extract_string(j_collected_at, '$')],
            lambda ts: CASE
            WHEN regexp_full_match(
              ts,
              '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?'
            )
            AND NOT starts_with(ts, '0000') THEN (
              list_transform(
                [epoch_us(TRY_CAST(upper(ts) AS TIMESTAMP)) - CASE
                WHEN length(ts) > 19
                AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                  CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                ) * 60000000
                ELSE 0 END],
                lambda us: CASE
                WHEN us BETWEEN -62135596800000000
                AND 253402300799999999 THEN us END
              )
            )[1] END
          )
        )[1] IS NULL
        OR (
          list_transform(
            [json_extract_string(j_collected_at, '$')],
            lambda ts: CASE
            WHEN regexp_full_match(
              ts,
              '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?'
            )
            AND NOT starts_with(ts, '0000') THEN (
              list_transform(
                [epoch_us(TRY_CAST(upper(ts) AS TIMESTAMP)) - CASE
                WHEN length(ts) > 19
                AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                  CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                ) * 60000000
                ELSE 0 END],
                lambda us: CASE
                WHEN us BETWEEN -62135596800000000
                AND 253402300799999999 THEN us END
              )
            )[1] END
          )
        )[1] <= lawful_at
      ),
      false
    ) THEN '`collected_at` is later than `at`' END
  ) AS problem
  FROM (
    SELECT *,
    coalesce(
      (
        list_transform(
          [json_extract_string(j_at, '$')],
          lambda ts: CASE
          WHEN regexp_full_match(
            ts,
            '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?'
          )
          AND NOT starts_with(ts, '0000') THEN (
            list_transform(
              [epoch_us(TRY_CAST(upper(ts) AS TIMESTAMP)) - CASE
              WHEN length(ts) > 19
              AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
              ) * 60000000
              ELSE 0 END],
              lambda us: CASE WHEN us BETWEEN -62135596800000000 AND 253402300799999999 THEN us END
            )
          )[1] END
        )
      )[1],
      1795000000000000
    ) AS lawful_at,
    CASE
    WHEN json_extract_string(j_purpose, '$') = 'billing' THEN '|billing|'
    WHEN json_extract_string(j_purpose, '$') = 'newsletter' THEN '|newsletter|' END AS lawful_cover
    FROM (
      SELECT *,
      j_subject_all[1] AS j_subject_id,
      j_subject_all[2] AS j_subject_age,
      j_subject_all[3] AS j_subject_country,
      j_subject_all[4] AS j_subject_kind,
      j_subject_all[5] AS j_subject_consents,
      j_subject_all[6] AS j_subject_objections
      FROM (
        SELECT *,
        json_extract(
          j_subject,
          ['$."id"',
          '$."age"',
          '$."country"',
          '$."kind"',
          '$."consents"',
          '$."objections"']
        ) AS j_subject_all
        FROM (
          SELECT *,
          j_all[1] AS j_purpose,
          j_all[2] AS j_categories,
          j_all[3] AS j_destination,
          j_all[4] AS j_recipient,
          j_all[5] AS j_subject,
          j_all[6] AS j_safeguards,
          j_all[7] AS j_exporter,
          j_all[8] AS j_automated,
          j_all[9] AS j_collected_at,
          j_all[10] AS j_at,
          j_all[11] AS j_context
          FROM (
            SELECT *,
            json_extract(
              j,
              ['$."purpose"',
              '$."categories"',
              '$."destination"',
              '$."recipient"',
              '$."subject"',
              '$."safeguards"',
              '$."exporter"',
              '$."automated"',
              '$."collected_at"',
              '$."at"',
              '$."context"']
            ) AS j_all
            FROM lawful_lines AS w
          ) AS x
        ) AS w
      ) AS x
    )
  ) AS timed
) AS checked
