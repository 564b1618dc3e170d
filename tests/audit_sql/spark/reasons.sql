SELECT *,
CASE
WHEN NOT valid THEN array(
  named_struct(
    'kind',
    'invalid-event',
    'rule',
    CAST(NULL AS STRING),
    'location',
    CAST(NULL AS STRING),
    'category',
    CAST(NULL AS STRING),
    'message',
    concat('the event is not valid: ', coalesce(problem, ''))
  )
)
WHEN effect = 'deny' THEN concat(
  transform(
    forbidden,
    i -> named_struct(
      'kind',
      'forbidden',
      'rule',
      element_at(
        CAST(array(NULL, NULL, NULL, 'no_health', 'unknown_age') AS ARRAY<STRING>),
        CAST(i AS INT) + 1
      ),
      'location',
      element_at(
        CAST(
          array(
            'tests/audit_sql/policy.law:17:1',
            'tests/audit_sql/policy.law:20:1',
            'tests/audit_sql/policy.law:23:1',
            'tests/audit_sql/policy.law:27:1',
            'tests/audit_sql/policy.law:32:1'
          ) AS ARRAY<STRING>
        ),
        CAST(i AS INT) + 1
      ),
      'category',
      CAST(NULL AS STRING),
      'message',
      element_at(
        CAST(
          array(
            'forbidden by permit at tests/audit_sql/policy.law:17:1',
            'forbidden by permit at tests/audit_sql/policy.law:20:1',
            'forbidden by permit at tests/audit_sql/policy.law:23:1',
            'Health data is not processed',
            concat('The subject', chr(39), 's age must be known')
          ) AS ARRAY<STRING>
        ),
        CAST(i AS INT) + 1
      )
    )
  ),
  CASE
  WHEN no_consent THEN array(
    named_struct(
      'kind',
      'no-consent',
      'rule',
      'consent_required',
      'location',
      CAST(NULL AS STRING),
      'category',
      CAST(NULL AS STRING),
      'message',
      concat(
        'the purpose `',
        purpose,
        '` is based on consent, and the subject holds no valid consent covering it'
      )
    )
  )
  ELSE CAST(
    array() AS ARRAY<STRUCT<kind: STRING,
    rule: STRING,
    location: STRING,
    category: STRING,
    message: STRING>>
  ) END,
  transform(
    filter(
      transform(categories, (c, n) -> named_struct('c', c, 'p', element_at(permitted, n + 1))),
      q -> q.p IS NULL
    ),
    q -> named_struct(
      'kind',
      'not-permitted',
      'rule',
      CAST(NULL AS STRING),
      'location',
      CAST(NULL AS STRING),
      'category',
      q.c,
      'message',
      concat(
        'no permit covers the category `',
        q.c,
        '` for the purpose `',
        purpose,
        '` to `',
        destination,
        '`'
      )
    )
  )
)
ELSE transform(
  transform(categories, (c, n) -> named_struct('c', c, 'p', element_at(permitted, n + 1))),
  q -> named_struct(
    'kind',
    'permitted',
    'rule',
    element_at(
      CAST(array(NULL, NULL, NULL, 'no_health', 'unknown_age') AS ARRAY<STRING>),
      CAST(q.p AS INT) + 1
    ),
    'location',
    element_at(
      CAST(
        array(
          'tests/audit_sql/policy.law:17:1',
          'tests/audit_sql/policy.law:20:1',
          'tests/audit_sql/policy.law:23:1',
          'tests/audit_sql/policy.law:27:1',
          'tests/audit_sql/policy.law:32:1'
        ) AS ARRAY<STRING>
      ),
      CAST(q.p AS INT) + 1
    ),
    'category',
    q.c,
    'message',
    concat(
      '`',
      q.c,
      '`: ',
      element_at(
        CAST(
          array(
            'permitted by permit at tests/audit_sql/policy.law:17:1',
            'permitted by permit at tests/audit_sql/policy.law:20:1',
            'permitted by permit at tests/audit_sql/policy.law:23:1',
            'Health data is not processed',
            concat('The subject', chr(39), 's age must be known')
          ) AS ARRAY<STRING>
        ),
        CAST(q.p AS INT) + 1
      )
    )
  )
) END AS reasons
FROM lawful_decided
