-- Shared by the wrk scenarios: data files the runner wrote, a per-thread random seed, and a JSON
-- summary (requests/s, latency percentiles, errors) written to $BENCH_OUT when the run ends.
local M = {}

local data_dir = os.getenv("BENCH_DATA") or "."
local threads = {}

function M.env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then return default end
  return value
end

-- The lines of a data file, each split on spaces: { {"12", "eyJ..."}, ... }.
function M.rows(name)
  local rows = {}
  local file = assert(io.open(data_dir .. "/" .. name, "r"), "missing data file " .. name)
  for line in file:lines() do
    local fields = {}
    for field in line:gmatch("%S+") do fields[#fields + 1] = field end
    if #fields > 0 then rows[#rows + 1] = fields end
  end
  file:close()
  return rows
end

-- Runs in the main Lua state once per thread, before the thread starts.
function M.setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_index", #threads)
  thread:set("thread_count", tonumber(M.env("BENCH_THREADS", "1")))
end

function M.init()
  math.randomseed(os.time() * 1000 + (thread_index or 1) * 7919)
  for _ = 1, 10 do math.random() end
end

local function json_number(value)
  if value == nil or value ~= value then return "null" end
  return string.format("%.3f", value)
end

-- Called once in the main state at the end; `counters` names thread globals to add up.
function M.done(summary, latency, counters)
  local out = assert(io.open(assert(os.getenv("BENCH_OUT"), "BENCH_OUT unset"), "w"))
  local e = summary.errors
  local extra = {}
  for _, name in ipairs(counters or {}) do
    local total = 0
    for _, thread in ipairs(threads) do total = total + (thread:get(name) or 0) end
    extra[#extra + 1] = string.format('"%s": %d', name, total)
  end
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %s, "p90": %s, "p99": %s, "p999": %s, "mean": %s, "max": %s}, ' ..
    '"counters": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    json_number(latency:percentile(50)), json_number(latency:percentile(90)),
    json_number(latency:percentile(99)), json_number(latency:percentile(99.9)),
    json_number(latency.mean), json_number(latency.max), table.concat(extra, ", ")))
  out:close()
end

return M
