-- wrk script for bench/scan_redirect.py.
-- args: <slugs file> <hot|random|warm> [custom domain]. Each request carries a unique
-- Referer host (t<thread>-<n>.bench.invalid), so the database can prove no scan was
-- recorded twice. With a custom domain, requests go to https://<domain>/<slug>: that Host
-- header and the path /<slug>.
local slugs, mode, host, prefix = {}, "random", nil, "/s/"
local agents = {
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
}
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then slugs[#slugs + 1] = line end
  end
  mode = args[2] or "random"
  if args[3] and #args[3] > 0 then host, prefix = args[3], "/" end
  math.randomseed(os.time() * 1000 + tid)
  sent, codes = 0, {}
end

function request()
  sent = sent + 1
  if mode == "warm" then
    -- HEAD through the slugs in turn: fills the cache, records nothing
    return wrk.format("HEAD", prefix .. slugs[((sent * 2 + tid) % #slugs) + 1], {["Host"] = host})
  end
  local slug = slugs[1]
  if mode ~= "hot" then slug = slugs[math.random(#slugs)] end
  return wrk.format("GET", prefix .. slug, {
    ["Host"] = host,
    ["User-Agent"] = agents[(sent % #agents) + 1],
    ["Referer"] = "https://t" .. tid .. "-" .. sent .. ".bench.invalid/",
  })
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
  local total_sent, statuses = 0, {}
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    for status, n in pairs(thread:get("codes")) do
      statuses[tostring(status)] = (statuses[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(statuses) do parts[#parts + 1] = string.format('"%s": %d', status, n) end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "sent": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, total_sent, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ", ")))
end
