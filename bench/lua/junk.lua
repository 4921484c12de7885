-- POST /v1/auth/login without a token, with a JSON body of 1 MiB less a little: one object of
-- ~131,000 short unknown keys (issue 20's junk), the same body every time. Every answer is a
-- 400, which wrk counts as a status error.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local common = require("common")

local letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
local headers = { ["Content-Type"] = "application/json" }
local body

setup = common.setup

-- The i-th key: i written in base 52 with letters.
local function key(i)
  local name = ""
  repeat
    local digit = i % 52
    name = letters:sub(digit + 1, digit + 1) .. name
    i = math.floor(i / 52)
  until i == 0
  return name
end

function init(_)
  common.init()
  local parts, size, i = {}, 2, 0
  while true do
    local item = '"' .. key(i) .. '":0'
    if size + #item + 1 > 1024 * 1024 - 64 then break end
    parts[#parts + 1] = item
    size = size + #item + 1
    i = i + 1
  end
  body = "{" .. table.concat(parts, ",") .. "}"
end

function request()
  return wrk.format("POST", "/v1/auth/login", headers, body)
end

function done(summary, latency, _)
  common.done(summary, latency)
end
