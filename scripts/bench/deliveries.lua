-- wrk script: sends each line of $DELIVERIES (see signed_requests.py) once, as a Stripe webhook,
-- the lines shared out between wrk's $WRK_THREADS threads. A thread whose share is sent asks for
-- /healthz until wrk's duration ends (wrk runs for its whole duration), and those answers are not
-- counted; with CYCLE=1 it starts its share over instead (for refusals). Prints the webhook answers by status ("status <code> <count>") and latency percentiles.
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

local requests = {}
local next_request = 1
statuses = {}

function init(args)
  local total = tonumber(os.getenv("WRK_THREADS") or "2")
  local line_number = 0
  for line in io.lines(os.getenv("DELIVERIES")) do
    if line_number % total == index then
      local tab = line:find("\t", 1, true)
      requests[#requests + 1] = wrk.format("POST", "/webhooks/stripe",
        {["Content-Type"] = "application/json", ["Stripe-Signature"] = line:sub(1, tab - 1)}, line:sub(tab + 1))
    end
    line_number = line_number + 1
  end
end

local cycle = os.getenv("CYCLE") == "1"

function request()
  local r = requests[next_request]
  if r == nil and cycle then
    -- Refusals need no distinct deliveries: the same ones again.
    next_request = 1
    r = requests[1]
  end
  if r == nil then return wrk.format("GET", "/healthz") end
  next_request = next_request + 1
  return r
end

function response(status, headers, body)
  -- A webhook's answer names its delivery (or its refusal); /healthz's does not count.
  if status ~= 200 or body:find("result", 1, true) then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do totals[status] = (totals[status] or 0) + count end
  end
  for status, count in pairs(totals) do io.write(string.format("status %d %d\n", status, count)) end
  io.write(string.format("latency p50_ms=%.2f p99_ms=%.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
