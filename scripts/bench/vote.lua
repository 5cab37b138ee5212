-- wrk script for scripts/bench/vote.sh: every request casts a ballot with the next unused
-- vote code from $CODES (threads take interleaved codes), and counts accepted ballots.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  codes = {}
  for line in io.lines(os.getenv("CODES")) do codes[#codes + 1] = line end
  nthreads = tonumber(os.getenv("THREADS") or "2")
  idx = id + 1
  accepted, refused, other = 0, 0, 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = "mdn_csrf=" .. os.getenv("CSRF_COOKIE")
end

function request()
  local code = codes[idx]
  if code == nil then code = "XXXX-XXXX-XXXX-XXXX" end
  idx = idx + nthreads
  local body = "code=" .. code .. "&plan=" .. os.getenv("PLAN") .. "&_csrf=" .. os.getenv("CSRF_TOKEN")
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 200 then accepted = accepted + 1
  elseif status == 422 then refused = refused + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local a, r, o = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted"); r = r + t:get("refused"); o = o + t:get("other")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("accepted %d (%.0f/s), refused %d, other %d; p50 %.1f ms, p99 %.1f ms\n",
    a, a / secs, r, o, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
