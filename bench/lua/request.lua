-- One generic scenario: $BENCH_METHOD $BENCH_PATH with an optional $BENCH_BODY, where {id} is
-- a random target id and {uid} the caller's user id, sent with a random caller's bearer token.
--   BENCH_IDS=hot    {id} is one of the callers' ids (a small, warm set: see BENCH_HOT)
--   BENCH_IDS=range  {id} is uniform in 1..$BENCH_ID_MAX
--   BENCH_HOT=N      callers are the first N rows of tokens.txt (0 or unset: all rows)
--   BENCH_AUTH=none  no Authorization header
--   BENCH_DELAY_MS=N each connection waits N ms before each request (a paced load, not a flood)
-- {cursor} is the caller's third column in the tokens file (a feed cursor the runner signed).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local common = require("common")

local method, path, body, ids, id_max, auth
local callers = {}

setup = common.setup

local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pace then
  function delay() return pace end
end

function init(_)
  common.init()
  method = common.env("BENCH_METHOD", "GET")
  path = common.env("BENCH_PATH", "/")
  body = common.env("BENCH_BODY", nil)
  ids = common.env("BENCH_IDS", "none")
  id_max = tonumber(common.env("BENCH_ID_MAX", "1"))
  auth = common.env("BENCH_AUTH", "bearer") ~= "none"
  local hot = tonumber(common.env("BENCH_HOT", "0"))
  for i, row in ipairs(common.rows(common.env("BENCH_TOKENS", "tokens.txt"))) do
    if hot > 0 and i > hot then break end
    local headers = { ["Content-Type"] = "application/json" }
    if auth then headers["Authorization"] = "Bearer " .. row[2] end
    callers[#callers + 1] = { uid = row[1], headers = headers, cursor = row[3] }
  end
end

function request()
  local caller = callers[math.random(#callers)]
  local id
  if ids == "hot" then
    id = callers[math.random(#callers)].uid
  elseif ids == "range" then
    id = tostring(math.random(id_max))
  end
  local p, b = path, body
  if id then p = p:gsub("{id}", id) end
  p = p:gsub("{uid}", caller.uid)
  if caller.cursor then p = p:gsub("{cursor}", caller.cursor) end
  if b then
    if id then b = b:gsub("{id}", id) end
    b = b:gsub("{uid}", caller.uid)
  end
  return wrk.format(method, p, caller.headers, b)
end

function done(summary, latency, _)
  common.done(summary, latency)
end
