SELECT eid,
file,
line_number,
line,
problem IS NULL AS valid,
problem,
false AS deferred,
CASE WHEN problem IS NULL THEN try_variant_get(j_purpose, '$', 'string') END AS purpose,
CASE
WHEN problem IS NULL THEN transform(
  coalesce(try_variant_get(j_categories, '$', 'array<variant>'), CAST(array() AS ARRAY<VARIANT>)),
  x -> try_variant_get(x, '$', 'string')
) END AS categories,
CASE
WHEN problem IS NULL THEN coalesce(
  try_variant_get(j_destination, '$', 'string'),
  CASE try_variant_get(j_recipient, '$', 'string')
  WHEN 'mailer' THEN 'US'
  WHEN 'office' THEN 'FR' END
) END AS destination,
CASE WHEN problem IS NULL THEN try_variant_get(j_subject_id, '$', 'string') END AS subject_id,
CASE WHEN problem IS NULL THEN try_variant_get(j_subject_age, '$', 'bigint') END AS subject_age,
CASE
WHEN problem IS NULL THEN try_variant_get(j_subject_country, '$', 'string') END AS subject_country,
CASE WHEN problem IS NULL THEN try_variant_get(j_subject_kind, '$', 'string') END AS subject_kind,
CASE
WHEN problem IS NULL THEN transform(
  coalesce(try_variant_get(j_subject_objections, '$', 'array<variant>'), CAST(array() AS ARRAY<VARIANT>)),
  x -> try_variant_get(x, '$', 'string')
) END AS objections,
CASE
WHEN problem IS NULL THEN array_sort(
  array_distinct(
    concat(
      coalesce(
        transform(
          coalesce(try_variant_get(j_safeguards, '$', 'array<variant>'), CAST(array() AS ARRAY<VARIANT>)),
          x -> try_variant_get(x, '$', 'string')
        ),
        CAST(array() AS ARRAY<STRING>)
      ),
      coalesce(
        CASE try_variant_get(j_recipient, '$', 'string')
        WHEN 'mailer' THEN CAST(array('dpf') AS ARRAY<STRING>)
        WHEN 'office' THEN CAST(array() AS ARRAY<STRING>) END,
        CAST(array() AS ARRAY<STRING>)
      )
    )
  )
) END AS safeguards,
CASE
WHEN problem IS NULL THEN coalesce(try_variant_get(j_automated, '$', 'boolean'), false) END AS automated,
CASE
WHEN problem IS NULL THEN coalesce(try_variant_get(j_exporter, '$', 'string'), 'controller') END AS exporter,
CASE
WHEN problem IS NULL THEN element_at(
  transform(
    array(try_variant_get(j_collected_at, '$', 'string')),
    ts -> CASE
    WHEN (
      ts RLIKE concat(
        '^(?:[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)',
        chr(92),
        'z'
      )
    ) THEN CASE
    WHEN CAST(substr(ts, 1, 4) AS BIGINT) >= 1
    AND CAST(substr(ts, 9, 2) AS BIGINT) <= CASE
    WHEN CAST(substr(ts, 6, 2) AS BIGINT) = 2 THEN CASE
    WHEN (
      (CAST(substr(ts, 1, 4) AS BIGINT) % 4 = 0 AND CAST(substr(ts, 1, 4) AS BIGINT) % 100 <> 0)
      OR CAST(substr(ts, 1, 4) AS BIGINT) % 400 = 0
    ) THEN 29
    ELSE 28 END
    WHEN CAST(substr(ts, 6, 2) AS BIGINT) IN (4, 6, 9, 11) THEN 30
    ELSE 31 END
    AND (
      (
        (
          (
            (
              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
              ELSE 0 END
            ) div 400
          ) * 146097 + (
            (
              (
                CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                ELSE 0 END
              ) - (
                (
                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                  ELSE 0 END
                ) div 400
              ) * 400
            ) * 365 + (
              (
                (
                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                  ELSE 0 END
                ) - (
                  (
                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                    ELSE 0 END
                  ) div 400
                ) * 400
              ) div 4
            ) - (
              (
                (
                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                  ELSE 0 END
                ) - (
                  (
                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                    ELSE 0 END
                  ) div 400
                ) * 400
              ) div 100
            ) + (
              ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
            )
          ) - 719468
        ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
      ) * 1000000 + CASE
      WHEN substr(ts, 20, 1) = '.' THEN CAST(substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT)
      ELSE 0 END - CASE
      WHEN length(ts) > 19
      AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
        CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
      ) * 60000000
      ELSE 0 END
    ) BETWEEN -62135596800000000
    AND 253402300799999999 THEN (
      (
        (
          (
            (
              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
              ELSE 0 END
            ) div 400
          ) * 146097 + (
            (
              (
                CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                ELSE 0 END
              ) - (
                (
                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                  ELSE 0 END
                ) div 400
              ) * 400
            ) * 365 + (
              (
                (
                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                  ELSE 0 END
                ) - (
                  (
                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                    ELSE 0 END
                  ) div 400
                ) * 400
              ) div 4
            ) - (
              (
                (
                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                  ELSE 0 END
                ) - (
                  (
                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                    ELSE 0 END
                  ) div 400
                ) * 400
              ) div 100
            ) + (
              ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
            )
          ) - 719468
        ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
      ) * 1000000 + CASE
      WHEN substr(ts, 20, 1) = '.' THEN CAST(substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT)
      ELSE 0 END - CASE
      WHEN length(ts) > 19
      AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
        CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
      ) * 60000000
      ELSE 0 END
    ) END END
  ),
  1
) END AS collected_us,
CASE WHEN problem IS NULL THEN j_context END AS context,
CASE WHEN problem IS NULL THEN try_variant_get(j_recipient, '$', 'string') END AS recipient,
CASE
WHEN problem IS NULL THEN coalesce(
  aggregate(
    transform(
      transform(
        coalesce(
          try_variant_get(j_subject_consents, '$', 'array<variant>'),
          CAST(array() AS ARRAY<VARIANT>)
        ),
        c -> named_struct(
          'purpose',
          try_variant_get(c, '$.purpose', 'string'),
          'given_at',
          element_at(
            transform(
              array(try_variant_get(c, '$.given_at', 'string')),
              ts -> CASE
              WHEN (
                ts RLIKE concat(
                  '^(?:[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)',
                  chr(92),
                  'z'
                )
              ) THEN CASE
              WHEN CAST(substr(ts, 1, 4) AS BIGINT) >= 1
              AND CAST(substr(ts, 9, 2) AS BIGINT) <= CASE
              WHEN CAST(substr(ts, 6, 2) AS BIGINT) = 2 THEN CASE
              WHEN (
                (
                  CAST(substr(ts, 1, 4) AS BIGINT) % 4 = 0
                  AND CAST(substr(ts, 1, 4) AS BIGINT) % 100 <> 0
                )
                OR CAST(substr(ts, 1, 4) AS BIGINT) % 400 = 0
              ) THEN 29
              ELSE 28 END
              WHEN CAST(substr(ts, 6, 2) AS BIGINT) IN (4, 6, 9, 11) THEN 30
              ELSE 31 END
              AND (
                (
                  (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) div 400
                    ) * 146097 + (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) * 365 + (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 4
                      ) - (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 100
                      ) + (
                        ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                      )
                    ) - 719468
                  ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
                ) * 1000000 + CASE
                WHEN substr(ts, 20, 1) = '.' THEN CAST(
                  substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT
                )
                ELSE 0 END - CASE
                WHEN length(ts) > 19
                AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                  CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                ) * 60000000
                ELSE 0 END
              ) BETWEEN -62135596800000000
              AND 253402300799999999 THEN (
                (
                  (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) div 400
                    ) * 146097 + (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) * 365 + (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 4
                      ) - (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 100
                      ) + (
                        ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                      )
                    ) - 719468
                  ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
                ) * 1000000 + CASE
                WHEN substr(ts, 20, 1) = '.' THEN CAST(
                  substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT
                )
                ELSE 0 END - CASE
                WHEN length(ts) > 19
                AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                  CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                ) * 60000000
                ELSE 0 END
              ) END END
            ),
            1
          ),
          'withdrawn_at',
          element_at(
            transform(
              array(try_variant_get(c, '$.withdrawn_at', 'string')),
              ts -> CASE
              WHEN (
                ts RLIKE concat(
                  '^(?:[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)',
                  chr(92),
                  'z'
                )
              ) THEN CASE
              WHEN CAST(substr(ts, 1, 4) AS BIGINT) >= 1
              AND CAST(substr(ts, 9, 2) AS BIGINT) <= CASE
              WHEN CAST(substr(ts, 6, 2) AS BIGINT) = 2 THEN CASE
              WHEN (
                (
                  CAST(substr(ts, 1, 4) AS BIGINT) % 4 = 0
                  AND CAST(substr(ts, 1, 4) AS BIGINT) % 100 <> 0
                )
                OR CAST(substr(ts, 1, 4) AS BIGINT) % 400 = 0
              ) THEN 29
              ELSE 28 END
              WHEN CAST(substr(ts, 6, 2) AS BIGINT) IN (4, 6, 9, 11) THEN 30
              ELSE 31 END
              AND (
                (
                  (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) div 400
                    ) * 146097 + (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) * 365 + (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 4
                      ) - (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 100
                      ) + (
                        ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                      )
                    ) - 719468
                  ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
                ) * 1000000 + CASE
                WHEN substr(ts, 20, 1) = '.' THEN CAST(
                  substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT
                )
                ELSE 0 END - CASE
                WHEN length(ts) > 19
                AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                  CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                ) * 60000000
                ELSE 0 END
              ) BETWEEN -62135596800000000
              AND 253402300799999999 THEN (
                (
                  (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) div 400
                    ) * 146097 + (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) * 365 + (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 4
                      ) - (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 100
                      ) + (
                        ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                      )
                    ) - 719468
                  ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
                ) * 1000000 + CASE
                WHEN substr(ts, 20, 1) = '.' THEN CAST(
                  substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT
                )
                ELSE 0 END - CASE
                WHEN length(ts) > 19
                AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                  CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                ) * 60000000
                ELSE 0 END
              ) END END
            ),
            1
          ),
          'explicit',
          coalesce(try_variant_get(c, '$.explicit', 'boolean'), false),
          'parental',
          coalesce(try_variant_get(c, '$.parental', 'boolean'), false),
          'age',
          try_variant_get(c, '$.age', 'bigint')
        )
      ),
      c -> CASE
      WHEN c.given_at <= lawful_at
      AND (c.withdrawn_at IS NULL OR c.withdrawn_at > lawful_at)
      AND (NOT (instr(c.purpose, '|') > 0) AND (instr(lawful_cover, ('|' || c.purpose || '|')) > 0)) THEN 1 + CASE
      WHEN c.explicit THEN 2
      ELSE 0 END + CASE
      WHEN c.parental THEN 4
      ELSE 0 END
      ELSE 0 END
    ),
    0,
    (a, x) -> a | x
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
    WHEN NOT coalesce(
      (
        j IS NOT NULL
        AND CASE
        WHEN j IS NULL THEN NULL
        WHEN schema_of_variant(j) = 'VOID' THEN 'NULL'
        WHEN schema_of_variant(j) = 'STRING' THEN 'VARCHAR'
        WHEN schema_of_variant(j) = 'BOOLEAN' THEN 'BOOLEAN'
        WHEN schema_of_variant(j) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
        WHEN schema_of_variant(j) LIKE 'ARRAY%' THEN 'ARRAY'
        WHEN schema_of_variant(j) LIKE 'OBJECT%' THEN 'OBJECT'
        ELSE 'DOUBLE' END = 'OBJECT'
      ),
      false
    ) THEN 'the line is not a JSON object'
    WHEN NOT coalesce(
      forall(
        coalesce(map_keys(try_variant_get(j, '$', 'map<string, variant>')), CAST(array() AS ARRAY<STRING>)),
        k -> coalesce(
          array_contains(
            CAST(
              array(
                'purpose',
                'categories',
                'destination',
                'recipient',
                'subject',
                'safeguards',
                'exporter',
                'automated',
                'collected_at',
                'at',
                'context'
              ) AS ARRAY<STRING>
            ),
            k
          ),
          false
        )
      ),
      false
    ) THEN 'an unknown field'
    WHEN NOT coalesce(
      (
        (
          CASE
          WHEN j_purpose IS NULL THEN NULL
          WHEN schema_of_variant(j_purpose) = 'VOID' THEN 'NULL'
          WHEN schema_of_variant(j_purpose) = 'STRING' THEN 'VARCHAR'
          WHEN schema_of_variant(j_purpose) = 'BOOLEAN' THEN 'BOOLEAN'
          WHEN schema_of_variant(j_purpose) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
          WHEN schema_of_variant(j_purpose) LIKE 'ARRAY%' THEN 'ARRAY'
          WHEN schema_of_variant(j_purpose) LIKE 'OBJECT%' THEN 'OBJECT'
          ELSE 'DOUBLE' END = 'VARCHAR'
        )
        AND array_contains(
          CAST(array('billing', 'newsletter') AS ARRAY<STRING>),
          try_variant_get(j_purpose, '$', 'string')
        )
      ),
      false
    ) THEN '`purpose`'
    WHEN NOT coalesce(
      (
        (
          (
            CASE
            WHEN j_categories IS NULL THEN NULL
            WHEN schema_of_variant(j_categories) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_categories) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_categories) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_categories) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_categories) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_categories) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END = 'ARRAY'
          )
          AND forall(
            coalesce(try_variant_get(j_categories, '$', 'array<variant>'), CAST(array() AS ARRAY<VARIANT>)),
            x -> coalesce(
              (
                CASE
                WHEN x IS NULL THEN NULL
                WHEN schema_of_variant(x) = 'VOID' THEN 'NULL'
                WHEN schema_of_variant(x) = 'STRING' THEN 'VARCHAR'
                WHEN schema_of_variant(x) = 'BOOLEAN' THEN 'BOOLEAN'
                WHEN schema_of_variant(x) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
                WHEN schema_of_variant(x) LIKE 'ARRAY%' THEN 'ARRAY'
                WHEN schema_of_variant(x) LIKE 'OBJECT%' THEN 'OBJECT'
                ELSE 'DOUBLE' END = 'VARCHAR'
                AND array_contains(
                  CAST(array('contact', 'contact.email', 'health') AS ARRAY<STRING>),
                  try_variant_get(x, '$', 'string')
                )
              ),
              false
            )
          )
        )
        AND size(
          coalesce(try_variant_get(j_categories, '$', 'array<variant>'), CAST(array() AS ARRAY<VARIANT>))
        ) > 0
      ),
      false
    ) THEN '`categories`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_recipient IS NULL THEN NULL
            WHEN schema_of_variant(j_recipient) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_recipient) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_recipient) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_recipient) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_recipient) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_recipient) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          (
            CASE
            WHEN j_recipient IS NULL THEN NULL
            WHEN schema_of_variant(j_recipient) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_recipient) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_recipient) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_recipient) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_recipient) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_recipient) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END = 'VARCHAR'
          )
          AND array_contains(
            CAST(array('mailer', 'office') AS ARRAY<STRING>),
            try_variant_get(j_recipient, '$', 'string')
          )
        )
      ),
      false
    ) THEN '`recipient`'
    WHEN NOT coalesce(
      (
        CASE
        WHEN (
          coalesce(
            CASE
            WHEN j_recipient IS NULL THEN NULL
            WHEN schema_of_variant(j_recipient) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_recipient) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_recipient) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_recipient) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_recipient) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_recipient) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        ) THEN (
          (
            CASE
            WHEN j_destination IS NULL THEN NULL
            WHEN schema_of_variant(j_destination) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_destination) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_destination) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_destination) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_destination) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_destination) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END = 'VARCHAR'
          )
          AND (
            NOT (instr(try_variant_get(j_destination, '$', 'string'), '|') > 0)
            AND (
              instr(
                '|AD|AE|AF|AG|AI|AL|AM|AO|AQ|AR|AS|AT|AU|AW|AX|AZ|BA|BB|BD|BE|BF|BG|BH|BI|BJ|BL|BM|BN|BO|BQ|BR|BS|BT|BV|BW|BY|BZ|CA|CC|CD|CF|CG|CH|CI|CK|CL|CM|CN|CO|CR|CU|CV|CW|CX|CY|CZ|DE|DJ|DK|DM|DO|DZ|EC|EE|EG|EH|ER|ES|ET|FI|FJ|FK|FM|FO|FR|GA|GB|GD|GE|GF|GG|GH|GI|GL|GM|GN|GP|GQ|GR|GS|GT|GU|GW|GY|HK|HM|HN|HR|HT|HU|ID|IE|IL|IM|IN|IO|IQ|IR|IS|IT|JE|JM|JO|JP|KE|KG|KH|KI|KM|KN|KP|KR|KW|KY|KZ|LA|LB|LC|LI|LK|LR|LS|LT|LU|LV|LY|MA|MC|MD|ME|MF|MG|MH|MK|ML|MM|MN|MO|MP|MQ|MR|MS|MT|MU|MV|MW|MX|MY|MZ|NA|NC|NE|NF|NG|NI|NL|NO|NP|NR|NU|NZ|OM|PA|PE|PF|PG|PH|PK|PL|PM|PN|PR|PS|PT|PW|PY|QA|RE|RO|RS|RU|RW|SA|SB|SC|SD|SE|SG|SH|SI|SJ|SK|SL|SM|SN|SO|SR|SS|ST|SV|SX|SY|SZ|TC|TD|TF|TG|TH|TJ|TK|TL|TM|TN|TO|TR|TT|TV|TW|TZ|UA|UG|UM|US|UY|UZ|VA|VC|VE|VG|VI|VN|VU|WF|WS|YE|YT|ZA|ZM|ZW|',
                ('|' || try_variant_get(j_destination, '$', 'string') || '|')
              ) > 0
            )
          )
        )
        WHEN (
          coalesce(
            CASE
            WHEN j_destination IS NULL THEN NULL
            WHEN schema_of_variant(j_destination) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_destination) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_destination) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_destination) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_destination) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_destination) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        ) THEN true
        ELSE (
          (
            CASE
            WHEN j_destination IS NULL THEN NULL
            WHEN schema_of_variant(j_destination) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_destination) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_destination) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_destination) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_destination) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_destination) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END = 'VARCHAR'
          )
          AND (
            NOT (instr(try_variant_get(j_destination, '$', 'string'), '|') > 0)
            AND (
              instr(
                '|AD|AE|AF|AG|AI|AL|AM|AO|AQ|AR|AS|AT|AU|AW|AX|AZ|BA|BB|BD|BE|BF|BG|BH|BI|BJ|BL|BM|BN|BO|BQ|BR|BS|BT|BV|BW|BY|BZ|CA|CC|CD|CF|CG|CH|CI|CK|CL|CM|CN|CO|CR|CU|CV|CW|CX|CY|CZ|DE|DJ|DK|DM|DO|DZ|EC|EE|EG|EH|ER|ES|ET|FI|FJ|FK|FM|FO|FR|GA|GB|GD|GE|GF|GG|GH|GI|GL|GM|GN|GP|GQ|GR|GS|GT|GU|GW|GY|HK|HM|HN|HR|HT|HU|ID|IE|IL|IM|IN|IO|IQ|IR|IS|IT|JE|JM|JO|JP|KE|KG|KH|KI|KM|KN|KP|KR|KW|KY|KZ|LA|LB|LC|LI|LK|LR|LS|LT|LU|LV|LY|MA|MC|MD|ME|MF|MG|MH|MK|ML|MM|MN|MO|MP|MQ|MR|MS|MT|MU|MV|MW|MX|MY|MZ|NA|NC|NE|NF|NG|NI|NL|NO|NP|NR|NU|NZ|OM|PA|PE|PF|PG|PH|PK|PL|PM|PN|PR|PS|PT|PW|PY|QA|RE|RO|RS|RU|RW|SA|SB|SC|SD|SE|SG|SH|SI|SJ|SK|SL|SM|SN|SO|SR|SS|ST|SV|SX|SY|SZ|TC|TD|TF|TG|TH|TJ|TK|TL|TM|TN|TO|TR|TT|TV|TW|TZ|UA|UG|UM|US|UY|UZ|VA|VC|VE|VG|VI|VN|VU|WF|WS|YE|YT|ZA|ZM|ZW|',
                ('|' || try_variant_get(j_destination, '$', 'string') || '|')
              ) > 0
            )
          )
        )
        AND try_variant_get(j_destination, '$', 'string') = CASE try_variant_get(j_recipient, '$', 'string')
        WHEN 'mailer' THEN 'US'
        WHEN 'office' THEN 'FR' END END
      ),
      false
    ) THEN '`destination`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_subject IS NULL THEN NULL
            WHEN schema_of_variant(j_subject) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_subject) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_subject) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_subject) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_subject) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_subject) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          (
            CASE
            WHEN j_subject IS NULL THEN NULL
            WHEN schema_of_variant(j_subject) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_subject) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_subject) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_subject) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_subject) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_subject) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END = 'OBJECT'
          )
          AND forall(
            coalesce(
              map_keys(try_variant_get(j_subject, '$', 'map<string, variant>')),
              CAST(array() AS ARRAY<STRING>)
            ),
            k -> coalesce(
              array_contains(
                CAST(array('id', 'age', 'country', 'kind', 'consents', 'objections') AS ARRAY<STRING>),
                k
              ),
              false
            )
          )
        )
      ),
      false
    ) THEN '`subject`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_subject_id IS NULL THEN NULL
            WHEN schema_of_variant(j_subject_id) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_subject_id) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_subject_id) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_subject_id) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_subject_id) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_subject_id) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          CASE
          WHEN j_subject_id IS NULL THEN NULL
          WHEN schema_of_variant(j_subject_id) = 'VOID' THEN 'NULL'
          WHEN schema_of_variant(j_subject_id) = 'STRING' THEN 'VARCHAR'
          WHEN schema_of_variant(j_subject_id) = 'BOOLEAN' THEN 'BOOLEAN'
          WHEN schema_of_variant(j_subject_id) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
          WHEN schema_of_variant(j_subject_id) LIKE 'ARRAY%' THEN 'ARRAY'
          WHEN schema_of_variant(j_subject_id) LIKE 'OBJECT%' THEN 'OBJECT'
          ELSE 'DOUBLE' END = 'VARCHAR'
        )
      ),
      false
    ) THEN '`subject.id`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_subject_kind IS NULL THEN NULL
            WHEN schema_of_variant(j_subject_kind) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_subject_kind) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_subject_kind) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_subject_kind) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_subject_kind) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_subject_kind) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          CASE
          WHEN j_subject_kind IS NULL THEN NULL
          WHEN schema_of_variant(j_subject_kind) = 'VOID' THEN 'NULL'
          WHEN schema_of_variant(j_subject_kind) = 'STRING' THEN 'VARCHAR'
          WHEN schema_of_variant(j_subject_kind) = 'BOOLEAN' THEN 'BOOLEAN'
          WHEN schema_of_variant(j_subject_kind) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
          WHEN schema_of_variant(j_subject_kind) LIKE 'ARRAY%' THEN 'ARRAY'
          WHEN schema_of_variant(j_subject_kind) LIKE 'OBJECT%' THEN 'OBJECT'
          ELSE 'DOUBLE' END = 'VARCHAR'
        )
      ),
      false
    ) THEN '`subject.kind`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_subject_age IS NULL THEN NULL
            WHEN schema_of_variant(j_subject_age) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_subject_age) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_subject_age) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_subject_age) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_subject_age) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_subject_age) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          CASE
          WHEN j_subject_age IS NULL THEN NULL
          WHEN schema_of_variant(j_subject_age) = 'VOID' THEN 'NULL'
          WHEN schema_of_variant(j_subject_age) = 'STRING' THEN 'VARCHAR'
          WHEN schema_of_variant(j_subject_age) = 'BOOLEAN' THEN 'BOOLEAN'
          WHEN schema_of_variant(j_subject_age) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
          WHEN schema_of_variant(j_subject_age) LIKE 'ARRAY%' THEN 'ARRAY'
          WHEN schema_of_variant(j_subject_age) LIKE 'OBJECT%' THEN 'OBJECT'
          ELSE 'DOUBLE' END IN ('BIGINT')
          AND try_variant_get(j_subject_age, '$', 'bigint') BETWEEN 0
          AND 200
        )
      ),
      false
    ) THEN '`subject.age`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_subject_country IS NULL THEN NULL
            WHEN schema_of_variant(j_subject_country) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_subject_country) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_subject_country) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_subject_country) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_subject_country) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_subject_country) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          (
            CASE
            WHEN j_subject_country IS NULL THEN NULL
            WHEN schema_of_variant(j_subject_country) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_subject_country) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_subject_country) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_subject_country) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_subject_country) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_subject_country) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END = 'VARCHAR'
          )
          AND (
            NOT (instr(try_variant_get(j_subject_country, '$', 'string'), '|') > 0)
            AND (
              instr(
                '|AD|AE|AF|AG|AI|AL|AM|AO|AQ|AR|AS|AT|AU|AW|AX|AZ|BA|BB|BD|BE|BF|BG|BH|BI|BJ|BL|BM|BN|BO|BQ|BR|BS|BT|BV|BW|BY|BZ|CA|CC|CD|CF|CG|CH|CI|CK|CL|CM|CN|CO|CR|CU|CV|CW|CX|CY|CZ|DE|DJ|DK|DM|DO|DZ|EC|EE|EG|EH|ER|ES|ET|FI|FJ|FK|FM|FO|FR|GA|GB|GD|GE|GF|GG|GH|GI|GL|GM|GN|GP|GQ|GR|GS|GT|GU|GW|GY|HK|HM|HN|HR|HT|HU|ID|IE|IL|IM|IN|IO|IQ|IR|IS|IT|JE|JM|JO|JP|KE|KG|KH|KI|KM|KN|KP|KR|KW|KY|KZ|LA|LB|LC|LI|LK|LR|LS|LT|LU|LV|LY|MA|MC|MD|ME|MF|MG|MH|MK|ML|MM|MN|MO|MP|MQ|MR|MS|MT|MU|MV|MW|MX|MY|MZ|NA|NC|NE|NF|NG|NI|NL|NO|NP|NR|NU|NZ|OM|PA|PE|PF|PG|PH|PK|PL|PM|PN|PR|PS|PT|PW|PY|QA|RE|RO|RS|RU|RW|SA|SB|SC|SD|SE|SG|SH|SI|SJ|SK|SL|SM|SN|SO|SR|SS|ST|SV|SX|SY|SZ|TC|TD|TF|TG|TH|TJ|TK|TL|TM|TN|TO|TR|TT|TV|TW|TZ|UA|UG|UM|US|UY|UZ|VA|VC|VE|VG|VI|VN|VU|WF|WS|YE|YT|ZA|ZM|ZW|',
                ('|' || try_variant_get(j_subject_country, '$', 'string') || '|')
              ) > 0
            )
          )
        )
      ),
      false
    ) THEN '`subject.country`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_subject_consents IS NULL THEN NULL
            WHEN schema_of_variant(j_subject_consents) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_subject_consents) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_subject_consents) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_subject_consents) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_subject_consents) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_subject_consents) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          (
            CASE
            WHEN j_subject_consents IS NULL THEN NULL
            WHEN schema_of_variant(j_subject_consents) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_subject_consents) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_subject_consents) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_subject_consents) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_subject_consents) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_subject_consents) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END = 'ARRAY'
          )
          AND forall(
            coalesce(
              try_variant_get(j_subject_consents, '$', 'array<variant>'),
              CAST(array() AS ARRAY<VARIANT>)
            ),
            c -> coalesce(
              CASE
              WHEN c IS NULL THEN NULL
              WHEN schema_of_variant(c) = 'VOID' THEN 'NULL'
              WHEN schema_of_variant(c) = 'STRING' THEN 'VARCHAR'
              WHEN schema_of_variant(c) = 'BOOLEAN' THEN 'BOOLEAN'
              WHEN schema_of_variant(c) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
              WHEN schema_of_variant(c) LIKE 'ARRAY%' THEN 'ARRAY'
              WHEN schema_of_variant(c) LIKE 'OBJECT%' THEN 'OBJECT'
              ELSE 'DOUBLE' END = 'OBJECT'
              AND forall(
                coalesce(
                  map_keys(try_variant_get(c, '$', 'map<string, variant>')),
                  CAST(array() AS ARRAY<STRING>)
                ),
                k -> coalesce(
                  array_contains(
                    CAST(
                      array('purpose', 'given_at', 'withdrawn_at', 'explicit', 'parental', 'age') AS ARRAY<STRING>
                    ),
                    k
                  ),
                  false
                )
              )
              AND CASE
              WHEN variant_get(c, '$.purpose', 'variant') IS NULL THEN NULL
              WHEN schema_of_variant(variant_get(c, '$.purpose', 'variant')) = 'VOID' THEN 'NULL'
              WHEN schema_of_variant(variant_get(c, '$.purpose', 'variant')) = 'STRING' THEN 'VARCHAR'
              WHEN schema_of_variant(variant_get(c, '$.purpose', 'variant')) = 'BOOLEAN' THEN 'BOOLEAN'
              WHEN schema_of_variant(variant_get(c, '$.purpose', 'variant')) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
              WHEN schema_of_variant(variant_get(c, '$.purpose', 'variant')) LIKE 'ARRAY%' THEN 'ARRAY'
              WHEN schema_of_variant(variant_get(c, '$.purpose', 'variant')) LIKE 'OBJECT%' THEN 'OBJECT'
              ELSE 'DOUBLE' END = 'VARCHAR'
              AND array_contains(
                CAST(array('billing', 'newsletter') AS ARRAY<STRING>),
                try_variant_get(c, '$.purpose', 'string')
              )
              AND (
                CASE
                WHEN variant_get(c, '$.given_at', 'variant') IS NULL THEN NULL
                WHEN schema_of_variant(variant_get(c, '$.given_at', 'variant')) = 'VOID' THEN 'NULL'
                WHEN schema_of_variant(variant_get(c, '$.given_at', 'variant')) = 'STRING' THEN 'VARCHAR'
                WHEN schema_of_variant(variant_get(c, '$.given_at', 'variant')) = 'BOOLEAN' THEN 'BOOLEAN'
                WHEN schema_of_variant(variant_get(c, '$.given_at', 'variant')) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
                WHEN schema_of_variant(variant_get(c, '$.given_at', 'variant')) LIKE 'ARRAY%' THEN 'ARRAY'
                WHEN schema_of_variant(variant_get(c, '$.given_at', 'variant')) LIKE 'OBJECT%' THEN 'OBJECT'
                ELSE 'DOUBLE' END = 'VARCHAR'
                AND element_at(
                  transform(
                    array(try_variant_get(c, '$.given_at', 'string')),
                    ts -> CASE
                    WHEN (
                      ts RLIKE concat(
                        '^(?:[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)',
                        chr(92),
                        'z'
                      )
                    ) THEN CASE
                    WHEN CAST(substr(ts, 1, 4) AS BIGINT) >= 1
                    AND CAST(substr(ts, 9, 2) AS BIGINT) <= CASE
                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) = 2 THEN CASE
                    WHEN (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) % 4 = 0
                        AND CAST(substr(ts, 1, 4) AS BIGINT) % 100 <> 0
                      )
                      OR CAST(substr(ts, 1, 4) AS BIGINT) % 400 = 0
                    ) THEN 29
                    ELSE 28 END
                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) IN (4, 6, 9, 11) THEN 30
                    ELSE 31 END
                    AND (
                      (
                        (
                          (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 146097 + (
                            (
                              (
                                CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                ELSE 0 END
                              ) - (
                                (
                                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                  ELSE 0 END
                                ) div 400
                              ) * 400
                            ) * 365 + (
                              (
                                (
                                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                  ELSE 0 END
                                ) - (
                                  (
                                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                    ELSE 0 END
                                  ) div 400
                                ) * 400
                              ) div 4
                            ) - (
                              (
                                (
                                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                  ELSE 0 END
                                ) - (
                                  (
                                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                    ELSE 0 END
                                  ) div 400
                                ) * 400
                              ) div 100
                            ) + (
                              ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                            )
                          ) - 719468
                        ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
                      ) * 1000000 + CASE
                      WHEN substr(ts, 20, 1) = '.' THEN CAST(
                        substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT
                      )
                      ELSE 0 END - CASE
                      WHEN length(ts) > 19
                      AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                        CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                      ) * 60000000
                      ELSE 0 END
                    ) BETWEEN -62135596800000000
                    AND 253402300799999999 THEN (
                      (
                        (
                          (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 146097 + (
                            (
                              (
                                CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                ELSE 0 END
                              ) - (
                                (
                                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                  ELSE 0 END
                                ) div 400
                              ) * 400
                            ) * 365 + (
                              (
                                (
                                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                  ELSE 0 END
                                ) - (
                                  (
                                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                    ELSE 0 END
                                  ) div 400
                                ) * 400
                              ) div 4
                            ) - (
                              (
                                (
                                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                  ELSE 0 END
                                ) - (
                                  (
                                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                    ELSE 0 END
                                  ) div 400
                                ) * 400
                              ) div 100
                            ) + (
                              ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                            )
                          ) - 719468
                        ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
                      ) * 1000000 + CASE
                      WHEN substr(ts, 20, 1) = '.' THEN CAST(
                        substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT
                      )
                      ELSE 0 END - CASE
                      WHEN length(ts) > 19
                      AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                        CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                      ) * 60000000
                      ELSE 0 END
                    ) END END
                  ),
                  1
                ) IS NOT NULL
              )
              AND (
                coalesce(
                  CASE
                  WHEN variant_get(c, '$.withdrawn_at', 'variant') IS NULL THEN NULL
                  WHEN schema_of_variant(variant_get(c, '$.withdrawn_at', 'variant')) = 'VOID' THEN 'NULL'
                  WHEN schema_of_variant(variant_get(c, '$.withdrawn_at', 'variant')) = 'STRING' THEN 'VARCHAR'
                  WHEN schema_of_variant(variant_get(c, '$.withdrawn_at', 'variant')) = 'BOOLEAN' THEN 'BOOLEAN'
                  WHEN schema_of_variant(variant_get(c, '$.withdrawn_at', 'variant')) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
                  WHEN schema_of_variant(variant_get(c, '$.withdrawn_at', 'variant')) LIKE 'ARRAY%' THEN 'ARRAY'
                  WHEN schema_of_variant(variant_get(c, '$.withdrawn_at', 'variant')) LIKE 'OBJECT%' THEN 'OBJECT'
                  ELSE 'DOUBLE' END,
                  'NULL'
                ) = 'NULL'
                OR (
                  CASE
                  WHEN variant_get(c, '$.withdrawn_at', 'variant') IS NULL THEN NULL
                  WHEN schema_of_variant(variant_get(c, '$.withdrawn_at', 'variant')) = 'VOID' THEN 'NULL'
                  WHEN schema_of_variant(variant_get(c, '$.withdrawn_at', 'variant')) = 'STRING' THEN 'VARCHAR'
                  WHEN schema_of_variant(variant_get(c, '$.withdrawn_at', 'variant')) = 'BOOLEAN' THEN 'BOOLEAN'
                  WHEN schema_of_variant(variant_get(c, '$.withdrawn_at', 'variant')) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
                  WHEN schema_of_variant(variant_get(c, '$.withdrawn_at', 'variant')) LIKE 'ARRAY%' THEN 'ARRAY'
                  WHEN schema_of_variant(variant_get(c, '$.withdrawn_at', 'variant')) LIKE 'OBJECT%' THEN 'OBJECT'
                  ELSE 'DOUBLE' END = 'VARCHAR'
                  AND element_at(
                    transform(
                      array(try_variant_get(c, '$.withdrawn_at', 'string')),
                      ts -> CASE
                      WHEN (
                        ts RLIKE concat(
                          '^(?:[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)',
                          chr(92),
                          'z'
                        )
                      ) THEN CASE
                      WHEN CAST(substr(ts, 1, 4) AS BIGINT) >= 1
                      AND CAST(substr(ts, 9, 2) AS BIGINT) <= CASE
                      WHEN CAST(substr(ts, 6, 2) AS BIGINT) = 2 THEN CASE
                      WHEN (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) % 4 = 0
                          AND CAST(substr(ts, 1, 4) AS BIGINT) % 100 <> 0
                        )
                        OR CAST(substr(ts, 1, 4) AS BIGINT) % 400 = 0
                      ) THEN 29
                      ELSE 28 END
                      WHEN CAST(substr(ts, 6, 2) AS BIGINT) IN (4, 6, 9, 11) THEN 30
                      ELSE 31 END
                      AND (
                        (
                          (
                            (
                              (
                                CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                ELSE 0 END
                              ) div 400
                            ) * 146097 + (
                              (
                                (
                                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                  ELSE 0 END
                                ) - (
                                  (
                                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                    ELSE 0 END
                                  ) div 400
                                ) * 400
                              ) * 365 + (
                                (
                                  (
                                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                    ELSE 0 END
                                  ) - (
                                    (
                                      CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                      WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                      ELSE 0 END
                                    ) div 400
                                  ) * 400
                                ) div 4
                              ) - (
                                (
                                  (
                                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                    ELSE 0 END
                                  ) - (
                                    (
                                      CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                      WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                      ELSE 0 END
                                    ) div 400
                                  ) * 400
                                ) div 100
                              ) + (
                                ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                              )
                            ) - 719468
                          ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
                        ) * 1000000 + CASE
                        WHEN substr(ts, 20, 1) = '.' THEN CAST(
                          substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT
                        )
                        ELSE 0 END - CASE
                        WHEN length(ts) > 19
                        AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                          CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                        ) * 60000000
                        ELSE 0 END
                      ) BETWEEN -62135596800000000
                      AND 253402300799999999 THEN (
                        (
                          (
                            (
                              (
                                CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                ELSE 0 END
                              ) div 400
                            ) * 146097 + (
                              (
                                (
                                  CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                  WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                  ELSE 0 END
                                ) - (
                                  (
                                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                    ELSE 0 END
                                  ) div 400
                                ) * 400
                              ) * 365 + (
                                (
                                  (
                                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                    ELSE 0 END
                                  ) - (
                                    (
                                      CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                      WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                      ELSE 0 END
                                    ) div 400
                                  ) * 400
                                ) div 4
                              ) - (
                                (
                                  (
                                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                    ELSE 0 END
                                  ) - (
                                    (
                                      CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                                      WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                                      ELSE 0 END
                                    ) div 400
                                  ) * 400
                                ) div 100
                              ) + (
                                ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                              )
                            ) - 719468
                          ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
                        ) * 1000000 + CASE
                        WHEN substr(ts, 20, 1) = '.' THEN CAST(
                          substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT
                        )
                        ELSE 0 END - CASE
                        WHEN length(ts) > 19
                        AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                          CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                        ) * 60000000
                        ELSE 0 END
                      ) END END
                    ),
                    1
                  ) IS NOT NULL
                )
              )
              AND (
                coalesce(
                  CASE
                  WHEN variant_get(c, '$.explicit', 'variant') IS NULL THEN NULL
                  WHEN schema_of_variant(variant_get(c, '$.explicit', 'variant')) = 'VOID' THEN 'NULL'
                  WHEN schema_of_variant(variant_get(c, '$.explicit', 'variant')) = 'STRING' THEN 'VARCHAR'
                  WHEN schema_of_variant(variant_get(c, '$.explicit', 'variant')) = 'BOOLEAN' THEN 'BOOLEAN'
                  WHEN schema_of_variant(variant_get(c, '$.explicit', 'variant')) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
                  WHEN schema_of_variant(variant_get(c, '$.explicit', 'variant')) LIKE 'ARRAY%' THEN 'ARRAY'
                  WHEN schema_of_variant(variant_get(c, '$.explicit', 'variant')) LIKE 'OBJECT%' THEN 'OBJECT'
                  ELSE 'DOUBLE' END,
                  'NULL'
                ) IN ('NULL', 'BOOLEAN')
              )
              AND (
                coalesce(
                  CASE
                  WHEN variant_get(c, '$.parental', 'variant') IS NULL THEN NULL
                  WHEN schema_of_variant(variant_get(c, '$.parental', 'variant')) = 'VOID' THEN 'NULL'
                  WHEN schema_of_variant(variant_get(c, '$.parental', 'variant')) = 'STRING' THEN 'VARCHAR'
                  WHEN schema_of_variant(variant_get(c, '$.parental', 'variant')) = 'BOOLEAN' THEN 'BOOLEAN'
                  WHEN schema_of_variant(variant_get(c, '$.parental', 'variant')) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
                  WHEN schema_of_variant(variant_get(c, '$.parental', 'variant')) LIKE 'ARRAY%' THEN 'ARRAY'
                  WHEN schema_of_variant(variant_get(c, '$.parental', 'variant')) LIKE 'OBJECT%' THEN 'OBJECT'
                  ELSE 'DOUBLE' END,
                  'NULL'
                ) IN ('NULL', 'BOOLEAN')
              )
              AND (
                coalesce(
                  CASE
                  WHEN variant_get(c, '$.age', 'variant') IS NULL THEN NULL
                  WHEN schema_of_variant(variant_get(c, '$.age', 'variant')) = 'VOID' THEN 'NULL'
                  WHEN schema_of_variant(variant_get(c, '$.age', 'variant')) = 'STRING' THEN 'VARCHAR'
                  WHEN schema_of_variant(variant_get(c, '$.age', 'variant')) = 'BOOLEAN' THEN 'BOOLEAN'
                  WHEN schema_of_variant(variant_get(c, '$.age', 'variant')) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
                  WHEN schema_of_variant(variant_get(c, '$.age', 'variant')) LIKE 'ARRAY%' THEN 'ARRAY'
                  WHEN schema_of_variant(variant_get(c, '$.age', 'variant')) LIKE 'OBJECT%' THEN 'OBJECT'
                  ELSE 'DOUBLE' END,
                  'NULL'
                ) = 'NULL'
                OR (
                  CASE
                  WHEN variant_get(c, '$.age', 'variant') IS NULL THEN NULL
                  WHEN schema_of_variant(variant_get(c, '$.age', 'variant')) = 'VOID' THEN 'NULL'
                  WHEN schema_of_variant(variant_get(c, '$.age', 'variant')) = 'STRING' THEN 'VARCHAR'
                  WHEN schema_of_variant(variant_get(c, '$.age', 'variant')) = 'BOOLEAN' THEN 'BOOLEAN'
                  WHEN schema_of_variant(variant_get(c, '$.age', 'variant')) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
                  WHEN schema_of_variant(variant_get(c, '$.age', 'variant')) LIKE 'ARRAY%' THEN 'ARRAY'
                  WHEN schema_of_variant(variant_get(c, '$.age', 'variant')) LIKE 'OBJECT%' THEN 'OBJECT'
                  ELSE 'DOUBLE' END IN ('BIGINT')
                  AND try_variant_get(c, '$.age', 'bigint') BETWEEN 0
                  AND 200
                )
              ),
              false
            )
          )
        )
      ),
      false
    ) THEN '`subject.consents`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_subject_objections IS NULL THEN NULL
            WHEN schema_of_variant(j_subject_objections) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_subject_objections) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_subject_objections) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_subject_objections) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_subject_objections) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_subject_objections) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          (
            CASE
            WHEN j_subject_objections IS NULL THEN NULL
            WHEN schema_of_variant(j_subject_objections) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_subject_objections) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_subject_objections) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_subject_objections) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_subject_objections) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_subject_objections) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END = 'ARRAY'
          )
          AND forall(
            coalesce(
              try_variant_get(j_subject_objections, '$', 'array<variant>'),
              CAST(array() AS ARRAY<VARIANT>)
            ),
            x -> coalesce(
              (
                CASE
                WHEN x IS NULL THEN NULL
                WHEN schema_of_variant(x) = 'VOID' THEN 'NULL'
                WHEN schema_of_variant(x) = 'STRING' THEN 'VARCHAR'
                WHEN schema_of_variant(x) = 'BOOLEAN' THEN 'BOOLEAN'
                WHEN schema_of_variant(x) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
                WHEN schema_of_variant(x) LIKE 'ARRAY%' THEN 'ARRAY'
                WHEN schema_of_variant(x) LIKE 'OBJECT%' THEN 'OBJECT'
                ELSE 'DOUBLE' END = 'VARCHAR'
                AND array_contains(
                  CAST(array('billing', 'newsletter') AS ARRAY<STRING>),
                  try_variant_get(x, '$', 'string')
                )
              ),
              false
            )
          )
        )
      ),
      false
    ) THEN '`subject.objections`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_safeguards IS NULL THEN NULL
            WHEN schema_of_variant(j_safeguards) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_safeguards) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_safeguards) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_safeguards) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_safeguards) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_safeguards) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          (
            CASE
            WHEN j_safeguards IS NULL THEN NULL
            WHEN schema_of_variant(j_safeguards) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_safeguards) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_safeguards) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_safeguards) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_safeguards) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_safeguards) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END = 'ARRAY'
          )
          AND forall(
            coalesce(try_variant_get(j_safeguards, '$', 'array<variant>'), CAST(array() AS ARRAY<VARIANT>)),
            x -> coalesce(
              CASE
              WHEN x IS NULL THEN NULL
              WHEN schema_of_variant(x) = 'VOID' THEN 'NULL'
              WHEN schema_of_variant(x) = 'STRING' THEN 'VARCHAR'
              WHEN schema_of_variant(x) = 'BOOLEAN' THEN 'BOOLEAN'
              WHEN schema_of_variant(x) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
              WHEN schema_of_variant(x) LIKE 'ARRAY%' THEN 'ARRAY'
              WHEN schema_of_variant(x) LIKE 'OBJECT%' THEN 'OBJECT'
              ELSE 'DOUBLE' END = 'VARCHAR',
              false
            )
          )
        )
      ),
      false
    ) THEN '`safeguards`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_automated IS NULL THEN NULL
            WHEN schema_of_variant(j_automated) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_automated) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_automated) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_automated) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_automated) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_automated) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          CASE
          WHEN j_automated IS NULL THEN NULL
          WHEN schema_of_variant(j_automated) = 'VOID' THEN 'NULL'
          WHEN schema_of_variant(j_automated) = 'STRING' THEN 'VARCHAR'
          WHEN schema_of_variant(j_automated) = 'BOOLEAN' THEN 'BOOLEAN'
          WHEN schema_of_variant(j_automated) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
          WHEN schema_of_variant(j_automated) LIKE 'ARRAY%' THEN 'ARRAY'
          WHEN schema_of_variant(j_automated) LIKE 'OBJECT%' THEN 'OBJECT'
          ELSE 'DOUBLE' END = 'BOOLEAN'
        )
      ),
      false
    ) THEN '`automated`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_exporter IS NULL THEN NULL
            WHEN schema_of_variant(j_exporter) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_exporter) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_exporter) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_exporter) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_exporter) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_exporter) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          (
            CASE
            WHEN j_exporter IS NULL THEN NULL
            WHEN schema_of_variant(j_exporter) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_exporter) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_exporter) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_exporter) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_exporter) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_exporter) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END = 'VARCHAR'
          )
          AND array_contains(
            CAST(array('controller', 'subject') AS ARRAY<STRING>),
            try_variant_get(j_exporter, '$', 'string')
          )
        )
      ),
      false
    ) THEN '`exporter`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_collected_at IS NULL THEN NULL
            WHEN schema_of_variant(j_collected_at) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_collected_at) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_collected_at) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_collected_at) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_collected_at) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_collected_at) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          CASE
          WHEN j_collected_at IS NULL THEN NULL
          WHEN schema_of_variant(j_collected_at) = 'VOID' THEN 'NULL'
          WHEN schema_of_variant(j_collected_at) = 'STRING' THEN 'VARCHAR'
          WHEN schema_of_variant(j_collected_at) = 'BOOLEAN' THEN 'BOOLEAN'
          WHEN schema_of_variant(j_collected_at) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
          WHEN schema_of_variant(j_collected_at) LIKE 'ARRAY%' THEN 'ARRAY'
          WHEN schema_of_variant(j_collected_at) LIKE 'OBJECT%' THEN 'OBJECT'
          ELSE 'DOUBLE' END = 'VARCHAR'
          AND element_at(
            transform(
              array(try_variant_get(j_collected_at, '$', 'string')),
              ts -> CASE
              WHEN (
                ts RLIKE concat(
                  '^(?:[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)',
                  chr(92),
                  'z'
                )
              ) THEN CASE
              WHEN CAST(substr(ts, 1, 4) AS BIGINT) >= 1
              AND CAST(substr(ts, 9, 2) AS BIGINT) <= CASE
              WHEN CAST(substr(ts, 6, 2) AS BIGINT) = 2 THEN CASE
              WHEN (
                (
                  CAST(substr(ts, 1, 4) AS BIGINT) % 4 = 0
                  AND CAST(substr(ts, 1, 4) AS BIGINT) % 100 <> 0
                )
                OR CAST(substr(ts, 1, 4) AS BIGINT) % 400 = 0
              ) THEN 29
              ELSE 28 END
              WHEN CAST(substr(ts, 6, 2) AS BIGINT) IN (4, 6, 9, 11) THEN 30
              ELSE 31 END
              AND (
                (
                  (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) div 400
                    ) * 146097 + (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) * 365 + (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 4
                      ) - (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 100
                      ) + (
                        ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                      )
                    ) - 719468
                  ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
                ) * 1000000 + CASE
                WHEN substr(ts, 20, 1) = '.' THEN CAST(
                  substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT
                )
                ELSE 0 END - CASE
                WHEN length(ts) > 19
                AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                  CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                ) * 60000000
                ELSE 0 END
              ) BETWEEN -62135596800000000
              AND 253402300799999999 THEN (
                (
                  (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) div 400
                    ) * 146097 + (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) * 365 + (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 4
                      ) - (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 100
                      ) + (
                        ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                      )
                    ) - 719468
                  ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
                ) * 1000000 + CASE
                WHEN substr(ts, 20, 1) = '.' THEN CAST(
                  substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT
                )
                ELSE 0 END - CASE
                WHEN length(ts) > 19
                AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                  CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                ) * 60000000
                ELSE 0 END
              ) END END
            ),
            1
          ) IS NOT NULL
        )
      ),
      false
    ) THEN '`collected_at`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_at IS NULL THEN NULL
            WHEN schema_of_variant(j_at) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_at) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_at) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_at) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_at) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_at) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          CASE
          WHEN j_at IS NULL THEN NULL
          WHEN schema_of_variant(j_at) = 'VOID' THEN 'NULL'
          WHEN schema_of_variant(j_at) = 'STRING' THEN 'VARCHAR'
          WHEN schema_of_variant(j_at) = 'BOOLEAN' THEN 'BOOLEAN'
          WHEN schema_of_variant(j_at) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
          WHEN schema_of_variant(j_at) LIKE 'ARRAY%' THEN 'ARRAY'
          WHEN schema_of_variant(j_at) LIKE 'OBJECT%' THEN 'OBJECT'
          ELSE 'DOUBLE' END = 'VARCHAR'
          AND element_at(
            transform(
              array(try_variant_get(j_at, '$', 'string')),
              ts -> CASE
              WHEN (
                ts RLIKE concat(
                  '^(?:[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)',
                  chr(92),
                  'z'
                )
              ) THEN CASE
              WHEN CAST(substr(ts, 1, 4) AS BIGINT) >= 1
              AND CAST(substr(ts, 9, 2) AS BIGINT) <= CASE
              WHEN CAST(substr(ts, 6, 2) AS BIGINT) = 2 THEN CASE
              WHEN (
                (
                  CAST(substr(ts, 1, 4) AS BIGINT) % 4 = 0
                  AND CAST(substr(ts, 1, 4) AS BIGINT) % 100 <> 0
                )
                OR CAST(substr(ts, 1, 4) AS BIGINT) % 400 = 0
              ) THEN 29
              ELSE 28 END
              WHEN CAST(substr(ts, 6, 2) AS BIGINT) IN (4, 6, 9, 11) THEN 30
              ELSE 31 END
              AND (
                (
                  (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) div 400
                    ) * 146097 + (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) * 365 + (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 4
                      ) - (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 100
                      ) + (
                        ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                      )
                    ) - 719468
                  ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
                ) * 1000000 + CASE
                WHEN substr(ts, 20, 1) = '.' THEN CAST(
                  substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT
                )
                ELSE 0 END - CASE
                WHEN length(ts) > 19
                AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                  CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                ) * 60000000
                ELSE 0 END
              ) BETWEEN -62135596800000000
              AND 253402300799999999 THEN (
                (
                  (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) div 400
                    ) * 146097 + (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) * 365 + (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 4
                      ) - (
                        (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) - (
                            (
                              CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                              WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                              ELSE 0 END
                            ) div 400
                          ) * 400
                        ) div 100
                      ) + (
                        ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                      )
                    ) - 719468
                  ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
                ) * 1000000 + CASE
                WHEN substr(ts, 20, 1) = '.' THEN CAST(
                  substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT
                )
                ELSE 0 END - CASE
                WHEN length(ts) > 19
                AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                  CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
                ) * 60000000
                ELSE 0 END
              ) END END
            ),
            1
          ) IS NOT NULL
        )
      ),
      false
    ) THEN '`at`'
    WHEN NOT coalesce(
      (
        (
          coalesce(
            CASE
            WHEN j_context IS NULL THEN NULL
            WHEN schema_of_variant(j_context) = 'VOID' THEN 'NULL'
            WHEN schema_of_variant(j_context) = 'STRING' THEN 'VARCHAR'
            WHEN schema_of_variant(j_context) = 'BOOLEAN' THEN 'BOOLEAN'
            WHEN schema_of_variant(j_context) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
            WHEN schema_of_variant(j_context) LIKE 'ARRAY%' THEN 'ARRAY'
            WHEN schema_of_variant(j_context) LIKE 'OBJECT%' THEN 'OBJECT'
            ELSE 'DOUBLE' END,
            'NULL'
          ) = 'NULL'
        )
        OR (
          CASE
          WHEN j_context IS NULL THEN NULL
          WHEN schema_of_variant(j_context) = 'VOID' THEN 'NULL'
          WHEN schema_of_variant(j_context) = 'STRING' THEN 'VARCHAR'
          WHEN schema_of_variant(j_context) = 'BOOLEAN' THEN 'BOOLEAN'
          WHEN schema_of_variant(j_context) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT'
          WHEN schema_of_variant(j_context) LIKE 'ARRAY%' THEN 'ARRAY'
          WHEN schema_of_variant(j_context) LIKE 'OBJECT%' THEN 'OBJECT'
          ELSE 'DOUBLE' END = 'OBJECT'
        )
      ),
      false
    ) THEN '`context`'
    WHEN NOT coalesce(
      (
        element_at(
          transform(
            array(try_variant_get(j_collected_at, '$', 'string')),
            ts -> CASE
            WHEN (
              ts RLIKE concat(
                '^(?:[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)',
                chr(92),
                'z'
              )
            ) THEN CASE
            WHEN CAST(substr(ts, 1, 4) AS BIGINT) >= 1
            AND CAST(substr(ts, 9, 2) AS BIGINT) <= CASE
            WHEN CAST(substr(ts, 6, 2) AS BIGINT) = 2 THEN CASE
            WHEN (
              (
                CAST(substr(ts, 1, 4) AS BIGINT) % 4 = 0
                AND CAST(substr(ts, 1, 4) AS BIGINT) % 100 <> 0
              )
              OR CAST(substr(ts, 1, 4) AS BIGINT) % 400 = 0
            ) THEN 29
            ELSE 28 END
            WHEN CAST(substr(ts, 6, 2) AS BIGINT) IN (4, 6, 9, 11) THEN 30
            ELSE 31 END
            AND (
              (
                (
                  (
                    (
                      CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                      WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                      ELSE 0 END
                    ) div 400
                  ) * 146097 + (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) - (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) div 400
                      ) * 400
                    ) * 365 + (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) div 4
                    ) - (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) div 100
                    ) + (
                      ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                    )
                  ) - 719468
                ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
              ) * 1000000 + CASE
              WHEN substr(ts, 20, 1) = '.' THEN CAST(substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT)
              ELSE 0 END - CASE
              WHEN length(ts) > 19
              AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
              ) * 60000000
              ELSE 0 END
            ) BETWEEN -62135596800000000
            AND 253402300799999999 THEN (
              (
                (
                  (
                    (
                      CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                      WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                      ELSE 0 END
                    ) div 400
                  ) * 146097 + (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) - (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) div 400
                      ) * 400
                    ) * 365 + (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) div 4
                    ) - (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) div 100
                    ) + (
                      ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                    )
                  ) - 719468
                ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
              ) * 1000000 + CASE
              WHEN substr(ts, 20, 1) = '.' THEN CAST(substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT)
              ELSE 0 END - CASE
              WHEN length(ts) > 19
              AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
              ) * 60000000
              ELSE 0 END
            ) END END
          ),
          1
        ) IS NULL
        OR element_at(
          transform(
            array(try_variant_get(j_collected_at, '$', 'string')),
            ts -> CASE
            WHEN (
              ts RLIKE concat(
                '^(?:[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)',
                chr(92),
                'z'
              )
            ) THEN CASE
            WHEN CAST(substr(ts, 1, 4) AS BIGINT) >= 1
            AND CAST(substr(ts, 9, 2) AS BIGINT) <= CASE
            WHEN CAST(substr(ts, 6, 2) AS BIGINT) = 2 THEN CASE
            WHEN (
              (
                CAST(substr(ts, 1, 4) AS BIGINT) % 4 = 0
                AND CAST(substr(ts, 1, 4) AS BIGINT) % 100 <> 0
              )
              OR CAST(substr(ts, 1, 4) AS BIGINT) % 400 = 0
            ) THEN 29
            ELSE 28 END
            WHEN CAST(substr(ts, 6, 2) AS BIGINT) IN (4, 6, 9, 11) THEN 30
            ELSE 31 END
            AND (
              (
                (
                  (
                    (
                      CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                      WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                      ELSE 0 END
                    ) div 400
                  ) * 146097 + (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) - (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) div 400
                      ) * 400
                    ) * 365 + (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) div 4
                    ) - (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) div 100
                    ) + (
                      ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                    )
                  ) - 719468
                ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
              ) * 1000000 + CASE
              WHEN substr(ts, 20, 1) = '.' THEN CAST(substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT)
              ELSE 0 END - CASE
              WHEN length(ts) > 19
              AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
              ) * 60000000
              ELSE 0 END
            ) BETWEEN -62135596800000000
            AND 253402300799999999 THEN (
              (
                (
                  (
                    (
                      CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                      WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                      ELSE 0 END
                    ) div 400
                  ) * 146097 + (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) - (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) div 400
                      ) * 400
                    ) * 365 + (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) div 4
                    ) - (
                      (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) - (
                          (
                            CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                            WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                            ELSE 0 END
                          ) div 400
                        ) * 400
                      ) div 100
                    ) + (
                      ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                    )
                  ) - 719468
                ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
              ) * 1000000 + CASE
              WHEN substr(ts, 20, 1) = '.' THEN CAST(substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT)
              ELSE 0 END - CASE
              WHEN length(ts) > 19
              AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
                CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
              ) * 60000000
              ELSE 0 END
            ) END END
          ),
          1
        ) <= lawful_at
      ),
      false
    ) THEN '`collected_at` is later than `at`' END
  ) AS problem
  FROM (
    SELECT *,
    coalesce(
      element_at(
        transform(
          array(try_variant_get(j_at, '$', 'string')),
          ts -> CASE
          WHEN (
            ts RLIKE concat(
              '^(?:[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)',
              chr(92),
              'z'
            )
          ) THEN CASE
          WHEN CAST(substr(ts, 1, 4) AS BIGINT) >= 1
          AND CAST(substr(ts, 9, 2) AS BIGINT) <= CASE
          WHEN CAST(substr(ts, 6, 2) AS BIGINT) = 2 THEN CASE
          WHEN (
            (
              CAST(substr(ts, 1, 4) AS BIGINT) % 4 = 0
              AND CAST(substr(ts, 1, 4) AS BIGINT) % 100 <> 0
            )
            OR CAST(substr(ts, 1, 4) AS BIGINT) % 400 = 0
          ) THEN 29
          ELSE 28 END
          WHEN CAST(substr(ts, 6, 2) AS BIGINT) IN (4, 6, 9, 11) THEN 30
          ELSE 31 END
          AND (
            (
              (
                (
                  (
                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                    ELSE 0 END
                  ) div 400
                ) * 146097 + (
                  (
                    (
                      CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                      WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                      ELSE 0 END
                    ) - (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) div 400
                    ) * 400
                  ) * 365 + (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) - (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) div 400
                      ) * 400
                    ) div 4
                  ) - (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) - (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) div 400
                      ) * 400
                    ) div 100
                  ) + (
                    ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                  )
                ) - 719468
              ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
            ) * 1000000 + CASE
            WHEN substr(ts, 20, 1) = '.' THEN CAST(substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT)
            ELSE 0 END - CASE
            WHEN length(ts) > 19
            AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
              CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
            ) * 60000000
            ELSE 0 END
          ) BETWEEN -62135596800000000
          AND 253402300799999999 THEN (
            (
              (
                (
                  (
                    CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                    WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                    ELSE 0 END
                  ) div 400
                ) * 146097 + (
                  (
                    (
                      CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                      WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                      ELSE 0 END
                    ) - (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) div 400
                    ) * 400
                  ) * 365 + (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) - (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) div 400
                      ) * 400
                    ) div 4
                  ) - (
                    (
                      (
                        CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                        WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                        ELSE 0 END
                      ) - (
                        (
                          CAST(substr(ts, 1, 4) AS BIGINT) - CASE
                          WHEN CAST(substr(ts, 6, 2) AS BIGINT) <= 2 THEN 1
                          ELSE 0 END
                        ) div 400
                      ) * 400
                    ) div 100
                  ) + (
                    ((153 * ((CAST(substr(ts, 6, 2) AS BIGINT) + 9) % 12) + 2) div 5) + CAST(substr(ts, 9, 2) AS BIGINT) - 1
                  )
                ) - 719468
              ) * 86400 + CAST(substr(ts, 12, 2) AS BIGINT) * 3600 + CAST(substr(ts, 15, 2) AS BIGINT) * 60 + CAST(substr(ts, 18, 2) AS BIGINT)
            ) * 1000000 + CASE
            WHEN substr(ts, 20, 1) = '.' THEN CAST(substr(concat(regexp_extract(ts, '^.{19}[.]([0-9]+)', 1), '000000'), 1, 6) AS BIGINT)
            ELSE 0 END - CASE
            WHEN length(ts) > 19
            AND substr(ts, length(ts) - 5, 1) IN ('+', '-') THEN (CASE WHEN substr(ts, length(ts) - 5, 1) = '-' THEN -1 ELSE 1 END) * (
              CAST(substr(ts, length(ts) - 4, 2) AS BIGINT) * 60 + CAST(substr(ts, length(ts) - 1, 2) AS BIGINT)
            ) * 60000000
            ELSE 0 END
          ) END END
        ),
        1
      ),
      1795000000000000
    ) AS lawful_at,
    CASE
    WHEN try_variant_get(j_purpose, '$', 'string') = 'billing' THEN '|billing|'
    WHEN try_variant_get(j_purpose, '$', 'string') = 'newsletter' THEN '|newsletter|' END AS lawful_cover
    FROM (
      SELECT *,
      variant_get(j_subject, '$.id', 'variant') AS j_subject_id,
      variant_get(j_subject, '$.age', 'variant') AS j_subject_age,
      variant_get(j_subject, '$.country', 'variant') AS j_subject_country,
      variant_get(j_subject, '$.kind', 'variant') AS j_subject_kind,
      variant_get(j_subject, '$.consents', 'variant') AS j_subject_consents,
      variant_get(j_subject, '$.objections', 'variant') AS j_subject_objections
      FROM (
        SELECT *,
        variant_get(j, '$.purpose', 'variant') AS j_purpose,
        variant_get(j, '$.categories', 'variant') AS j_categories,
        variant_get(j, '$.destination', 'variant') AS j_destination,
        variant_get(j, '$.recipient', 'variant') AS j_recipient,
        variant_get(j, '$.subject', 'variant') AS j_subject,
        variant_get(j, '$.safeguards', 'variant') AS j_safeguards,
        variant_get(j, '$.exporter', 'variant') AS j_exporter,
        variant_get(j, '$.automated', 'variant') AS j_automated,
        variant_get(j, '$.collected_at', 'variant') AS j_collected_at,
        variant_get(j, '$.at', 'variant') AS j_at,
        variant_get(j, '$.context', 'variant') AS j_context FROM lawful_lines AS x
      ) AS x
    )
  ) AS timed
) AS checked
