SELECT f.eid,
(['events.jsonl']::VARCHAR[])[(f.eid // 1099511627776) + 1] AS file,
f.eid % 1099511627776 AS line_number,
o.effect,
o.reasons,
o.obligations,
CASE WHEN o.valid THEN o.purpose END AS purpose,
CASE WHEN o.valid THEN o.categories END AS categories,
CASE WHEN o.valid THEN o.destination END AS destination,
f.subject_id,
CASE WHEN o.valid THEN make_timestamp(f.at_us) END AS event_at,
CASE WHEN o.valid THEN CAST(make_timestamp(f.at_us) AS DATE) END AS day,
o.valid,
o.problem,
f.line
FROM lawful_facts AS f
JOIN lawful_outcomes AS o
ON f.sig = o.sig
WHERE NOT o.valid
OR (f.at_us >= 0 AND f.at_us < 1795000000000000)
