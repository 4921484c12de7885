-- POST /v1/auth/login for the cost-12 users the runner created (login_users.txt: "email password").
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local common = require("common")

local bodies = {}
local headers = { ["Content-Type"] = "application/json" }

setup = common.setup

function init(_)
  common.init()
  for _, row in ipairs(common.rows("login_users.txt")) do
    bodies[#bodies + 1] = string.format('{"email": "%s", "password": "%s"}', row[1], row[2])
  end
end

function request()
  return wrk.format("POST", "/v1/auth/login", headers, bodies[math.random(#bodies)])
end

function done(summary, latency, _)
  common.done(summary, latency)
end
