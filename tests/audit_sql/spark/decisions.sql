SELECT *,
CASE
WHEN NOT valid
OR any_forbid
OR no_consent
OR exists(permitted, p -> coalesce(p IS NULL, false)) THEN 'deny'
ELSE 'allow' END AS effect,
CASE
WHEN valid
AND NOT any_forbid
AND NOT no_consent
AND NOT exists(permitted, p -> coalesce(p IS NULL, false)) THEN CASE
WHEN g0 THEN CAST(array('mask') AS ARRAY<STRING>)
ELSE CAST(array() AS ARRAY<STRING>) END
ELSE CAST(array() AS ARRAY<STRING>) END AS obligations
FROM (
  SELECT *,
  filter(
    CAST(
      array(
        CASE
        WHEN coalesce(arrays_overlap(categories, CAST(array('health') AS ARRAY<STRING>)), false)
        AND coalesce(h3, true) THEN 3 END,
        CASE
        WHEN array_contains(CAST(array('newsletter') AS ARRAY<STRING>), purpose)
        AND coalesce(h4, true) THEN 4 END
      ) AS ARRAY<INT>
    ),
    x -> x IS NOT NULL
  ) AS forbidden,
  (basis = 'consent' AND NOT consent_held) AS no_consent,
  transform(
    categories,
    c -> CASE
    WHEN array_contains(CAST(array('billing') AS ARRAY<STRING>), purpose)
    AND array_contains(CAST(array('DE', 'FR') AS ARRAY<STRING>), destination)
    AND array_contains(CAST(array('contact', 'contact.email') AS ARRAY<STRING>), c) THEN 0
    WHEN array_contains(CAST(array('billing') AS ARRAY<STRING>), purpose)
    AND array_contains(CAST(array('US') AS ARRAY<STRING>), destination)
    AND array_contains(CAST(array('contact', 'contact.email') AS ARRAY<STRING>), c)
    AND coalesce(h1, false) THEN 1
    WHEN array_contains(CAST(array('newsletter') AS ARRAY<STRING>), purpose)
    AND array_contains(CAST(array('contact.email') AS ARRAY<STRING>), c)
    AND coalesce(h2, false) THEN 2 END
  ) AS permitted,
  (
    (
      coalesce(arrays_overlap(categories, CAST(array('health') AS ARRAY<STRING>)), false)
      AND coalesce(h3, true)
    )
    OR (array_contains(CAST(array('newsletter') AS ARRAY<STRING>), purpose) AND coalesce(h4, true))
  ) AS any_forbid
  FROM (
    SELECT *,
    exists(
      categories,
      c -> coalesce(
        array_contains(CAST(array('billing') AS ARRAY<STRING>), purpose)
        AND array_contains(CAST(array('DE', 'FR') AS ARRAY<STRING>), destination)
        AND array_contains(CAST(array('contact', 'contact.email') AS ARRAY<STRING>), c),
        false
      )
    ) AS g0
    FROM (
      SELECT *,
      CASE
      WHEN purpose = 'billing' THEN 'contract'
      WHEN purpose = 'newsletter' THEN 'consent' END AS basis,
      CASE
      WHEN purpose = 'billing' THEN CAST(array('billing') AS ARRAY<STRING>)
      WHEN purpose = 'newsletter' THEN CAST(array('newsletter') AS ARRAY<STRING>) END AS ancestors
      FROM lawful_signatures
    ) AS b
  ) AS w
) AS x
