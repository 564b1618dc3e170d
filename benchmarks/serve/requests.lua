-- POST each of the bodies in BODIES_FILE in turn (each followed by a line holding
-- only the record separator, \30), on
-- PATH_ with CONTENT_TYPE; every response's status, and the digest it names,
-- counted per thread and printed by done() as one JSON line, with the latency
-- percentiles. DIGESTS (comma-separated) are the digests a response may name;
-- DELAY_MS, when set, waits that long before each request (a rate below the maximum).
local bodies, threads = {}, {}
local path = os.getenv("PATH_") or "/v1/decide"
local media = os.getenv("CONTENT_TYPE") or "application/json"
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
local known = {}
for d in string.gmatch(os.getenv("DIGESTS") or "", "[^,]+") do known[d] = true end
local check = next(known) ~= nil

local lines = {}
for line in io.lines(os.getenv("BODIES_FILE")) do
  if line == "\30" then
    bodies[#bodies + 1] = table.concat(lines, "\n")
    lines = {}
  else
    lines[#lines + 1] = line
  end
end

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

local index = 0
non2xx, unknown, checked = 0, 0, 0  -- globals: done() reads them from each thread

function init(args)
  index = id * 7919 % #bodies
end

function request()
  index = index % #bodies + 1
  return wrk.format("POST", path, {["Content-Type"] = media}, bodies[index])
end

if delay_ms > 0 then
  function delay() return delay_ms end
end

if check then  -- a response() hook makes wrk parse every body: only when asked
  function response(status, headers, body)
    if status < 200 or status > 299 then non2xx = non2xx + 1 end
    checked = checked + 1
    local digest = headers["lawful-digest"]
    if digest == nil or not known[digest] then unknown = unknown + 1 end
    for d in string.gmatch(body, '"digest": ?"([0-9a-f]+)"') do
      if not known[d] then unknown = unknown + 1 end
    end
  end
end

function done(summary, latency, requests)
  local bad, odd, seen = 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    odd = odd + thread:get("unknown")
    seen = seen + thread:get("checked")
  end
  local e = summary.errors
  io.write(string.format(
    '\nRESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"non2xx":%d,"unknown_digest":%d,"checked":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout, bad, odd, seen))
end
