SELECT *,
CASE
WHEN NOT valid
OR any_forbid
OR no_consent
OR (len(list_filter(permitted, lambda p: coalesce(p IS NULL, false))) > 0) THEN 'deny'
ELSE 'allow' END AS effect,
CASE
WHEN valid
AND NOT any_forbid
AND NOT no_consent
AND NOT (len(list_filter(permitted, lambda p: coalesce(p IS NULL, false))) > 0) THEN CASE
WHEN g0 THEN ['mask']::VARCHAR[]
ELSE []::VARCHAR[] END
ELSE []::VARCHAR[] END AS obligations
FROM (
  SELECT *,
  list_filter(
    [CASE WHEN list_has_any(categories, ['health']::VARCHAR[]) AND coalesce(h3, true) THEN 3 END,
    CASE
    WHEN list_contains(['newsletter']::VARCHAR[], purpose)
    AND coalesce(h4, true) THEN 4 END]::INTEGER[],
    lambda x: x IS NOT NULL
  ) AS forbidden,
  (basis = 'consent' AND NOT consent_held) AS no_consent,
  list_transform(
    categories,
    lambda c: CASE
    WHEN list_contains(['billing']::VARCHAR[], purpose)
    AND list_contains(['DE', 'FR']::VARCHAR[], destination)
    AND list_contains(['contact', 'contact.email']::VARCHAR[], c) THEN 0
    WHEN list_contains(['billing']::VARCHAR[], purpose)
    AND list_contains(['US']::VARCHAR[], destination)
    AND list_contains(['contact', 'contact.email']::VARCHAR[], c)
    AND coalesce(h1, false) THEN 1
    WHEN list_contains(['newsletter']::VARCHAR[], purpose)
    AND list_contains(['contact.email']::VARCHAR[], c)
    AND coalesce(h2, false) THEN 2 END
  ) AS permitted,
  (
    (list_has_any(categories, ['health']::VARCHAR[]) AND coalesce(h3, true))
    OR (list_contains(['newsletter']::VARCHAR[], purpose) AND coalesce(h4, true))
  ) AS any_forbid
  FROM (
    SELECT *,
    (
      len(
        list_filter(
          categories,
          lambda c: coalesce(
            list_contains(['billing']::VARCHAR[], purpose)
            AND list_contains(['DE', 'FR']::VARCHAR[], destination)
            AND list_contains(['contact', 'contact.email']::VARCHAR[], c),
            false
          )
        )
      ) > 0
    ) AS g0
    FROM (
      SELECT *,
      CASE
      WHEN purpose = 'billing' THEN 'contract'
      WHEN purpose = 'newsletter' THEN 'consent' END AS basis,
      CASE
      WHEN purpose = 'billing' THEN ['billing']::VARCHAR[]
      WHEN purpose = 'newsletter' THEN ['newsletter']::VARCHAR[] END AS ancestors
      FROM lawful_signatures
    ) AS b
  ) AS w
) AS x
