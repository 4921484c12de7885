-- PATCH /v1/posts/{id} with the right version. The runner created one post per owner
-- (patch_posts.txt: "post_id version token"); each thread takes its share, and a post is in
-- flight on one connection at a time: it leaves the free list with a request and comes back
-- with the version its response carries. So every request names the current version, and a
-- 409 would mean the service lost an update.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local common = require("common")

local free = {}
local tokens = {}
local serial = 0
ok, conflicts, other, starved = 0, 0, 0, 0

setup = common.setup

function init(_)
  common.init()
  for i, row in ipairs(common.rows("patch_posts.txt")) do
    if (i - 1) % thread_count == thread_index - 1 then
      tokens[row[1]] = "Bearer " .. row[3]
      free[#free + 1] = { id = row[1], version = row[2] }
    end
  end
end

function request()
  local post = table.remove(free, 1)
  if post == nil then
    starved = starved + 1
    post = { id = next(tokens), version = "1" }
  end
  serial = serial + 1
  local body = string.format('{"title": "Edited %d by wrk", "version": %s}', serial, post.version)
  return wrk.format("PATCH", "/v1/posts/" .. post.id,
    { ["Content-Type"] = "application/json", ["Authorization"] = tokens[post.id] }, body)
end

function response(status, _, body)
  if status == 200 then
    ok = ok + 1
    local id = body:match('"id"%s*:%s*(%d+)')
    local version = body:match('"version"%s*:%s*(%d+)')
    if id and version and tokens[id] then
      free[#free + 1] = { id = id, version = version }
    end
  elseif status == 409 then
    conflicts = conflicts + 1
  else
    other = other + 1
  end
end

function done(summary, latency, _)
  common.done(summary, latency, { "ok", "conflicts", "other", "starved" })
end
