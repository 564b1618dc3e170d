SELECT *,
CASE WHEN NOT valid THEN [{'kind': 'invalid-event',
'rule': CAST(NULL AS VARCHAR),
'location': CAST(NULL AS VARCHAR),
'category': CAST(NULL AS VARCHAR),
'message': concat('the event is not valid: ', coalesce(problem, ''))}]
WHEN effect = 'deny' THEN flatten(
  [list_transform(
    forbidden,
    lambda i: {'kind': 'forbidden',
    'rule': ([NULL, NULL, NULL, 'no_health', 'unknown_age']::VARCHAR[])[i + 1],
    'location': (
      ['tests/audit_sql/policy.law:17:1',
      'tests/audit_sql/policy.law:20:1',
      'tests/audit_sql/policy.law:23:1',
      'tests/audit_sql/policy.law:27:1',
      'tests/audit_sql/policy.law:32:1']::VARCHAR[]
    )[i + 1],
    'category': CAST(NULL AS VARCHAR),
    'message': (
      ['forbidden by permit at tests/audit_sql/policy.law:17:1',
      'forbidden by permit at tests/audit_sql/policy.law:20:1',
      'forbidden by permit at tests/audit_sql/policy.law:23:1',
      'Health data is not processed',
      concat('The subject', chr(39), 's age must be known')]::VARCHAR[]
    )[i + 1]}
  ),
  CASE WHEN no_consent THEN [{'kind': 'no-consent',
  'rule': 'consent_required',
  'location': CAST(NULL AS VARCHAR),
  'category': CAST(NULL AS VARCHAR),
  'message': concat(
    'the purpose `',
    purpose,
    '` is based on consent, and the subject holds no valid consent covering it'
  )}]
  ELSE []::STRUCT(kind VARCHAR, rule VARCHAR, location VARCHAR, category VARCHAR, message VARCHAR)[] END,
  list_transform(
    list_filter(
      list_transform(range(1, len(categories) + 1), lambda n: {'c': categories[n], 'p': permitted[n]}),
      lambda q: q.p IS NULL
    ),
    lambda q: {'kind': 'not-permitted',
    'rule': CAST(NULL AS VARCHAR),
    'location': CAST(NULL AS VARCHAR),
    'category': q.c,
    'message': concat(
      'no permit covers the category `',
      q.c,
      '` for the purpose `',
      purpose,
      '` to `',
      destination,
      '`'
    )}
  )]
)
ELSE list_transform(
  list_transform(range(1, len(categories) + 1), lambda n: {'c': categories[n], 'p': permitted[n]}),
  lambda q: {'kind': 'permitted',
  'rule': ([NULL, NULL, NULL, 'no_health', 'unknown_age']::VARCHAR[])[q.p + 1],
  'location': (
    ['tests/audit_sql/policy.law:17:1',
    'tests/audit_sql/policy.law:20:1',
    'tests/audit_sql/policy.law:23:1',
    'tests/audit_sql/policy.law:27:1',
    'tests/audit_sql/policy.law:32:1']::VARCHAR[]
  )[q.p + 1],
  'category': q.c,
  'message': concat(
    '`',
    q.c,
    '`: ',
    (
      ['permitted by permit at tests/audit_sql/policy.law:17:1',
      'permitted by permit at tests/audit_sql/policy.law:20:1',
      'permitted by permit at tests/audit_sql/policy.law:23:1',
      'Health data is not processed',
      concat('The subject', chr(39), 's age must be known')]::VARCHAR[]
    )[q.p + 1]
  )}
) END AS reasons
FROM lawful_decided
