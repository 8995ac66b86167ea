#include "jobs/redis/scripts.h"

#include <string>

#include "adminara/obs/version.h"

namespace adminara::obs::jobs::redis::scripts {
namespace {

// Shared by every script: the prefix, events, markers, and the moves into the ready and delayed
// states.
//   - Ready jobs: `wait` (a list; LPUSH in, RPOPLPUSH out to `active`) for priority 0, else
//     `prioritized` with score priority * 2^32 + (INCR pc mod 2^32).
//   - Delayed jobs: `delayed` with score due * 4096 + n, n counting jobs due in the same ms.
//   - Markers for idle workers: member "0" (score 0) when a job can be taken now, member "1" with
//     the due time of the earliest delayed job. Nothing while paused or at global concurrency.
//   - `rdy` (our own field, ignored by BullMQ): when the job last became ready, for job_wait_time.
constexpr const char* kPrelude = R"lua(
local P = ARGV[1]
local rcall = redis.call
-- The `meta` fields the helpers use, read once per call (the scripts that change `meta` do so
-- before their first use of it): paused, concurrency, max, duration, opts.maxLenEvents.
local metaFields
local function meta()
  if not metaFields then
    metaFields = rcall("HMGET", P .. "meta", "paused", "concurrency", "max", "duration",
                       "opts.maxLenEvents")
  end
  return metaFields
end
local function emit(...)
  rcall("XADD", P .. "events", "MAXLEN", "~", tonumber(meta()[5]) or 10000, "*", "event", ...)
end
local function blocked()
  local m = meta()
  if m[1] then return true end
  if m[2] and rcall("LLEN", P .. "active") >= tonumber(m[2]) then return true end
  return false
end
local function markReady()
  if not blocked() then rcall("ZADD", P .. "marker", 0, "0") end
end
local function earliestDue()
  local first = rcall("ZRANGE", P .. "delayed", 0, 0, "WITHSCORES")
  if first[2] then return math.floor(tonumber(first[2]) / 4096) end
  return nil
end
local function markDelayed()
  local due = earliestDue()
  if due and not blocked() then rcall("ZADD", P .. "marker", due, "1") end
end
-- readyOn: the `rdy` to write (nil: the caller wrote it).
local function makeReady(id, priority, readyOn, prev)
  if priority > 0 then
    local c = rcall("INCR", P .. "pc")
    rcall("ZADD", P .. "prioritized", priority * 4294967296 + (c % 4294967296), id)
  else
    rcall("LPUSH", P .. "wait", id)
  end
  if readyOn then rcall("HSET", P .. id, "rdy", readyOn) end
  if prev then
    emit("waiting", "jobId", id, "prev", prev)
  else
    emit("waiting", "jobId", id)
  end
end
-- The caller writes `rdy` = due.
local function makeDelayed(id, due)
  local base = due * 4096
  local last = rcall("ZREVRANGEBYSCORE", P .. "delayed", base + 4095, base, "WITHSCORES", "LIMIT", 0, 1)
  local score = base
  if last[2] then score = tonumber(last[2]) + 1 end
  rcall("ZADD", P .. "delayed", score, id)
  emit("delayed", "jobId", id, "delay", due)
  markDelayed()
end
-- The job's opts as a table ({} when missing or not JSON).
local function jobOpts(k)
  local ok, o = pcall(cjson.decode, rcall("HGET", k, "opts") or "{}")
  if ok and type(o) == "table" then return o end
  return {}
end
-- A failed attempt appends to `stacktrace`, a JSON array of strings as Node's workers write it
-- (bullmq-protocol.md §3, §11.5), keeping the last opts.stackTraceLimit entries (0: none). We
-- have no stack: the entry is the failure reason, as the first line of a JS stack would be.
local function addTrace(k, o, reason)
  local ok, st = pcall(cjson.decode, rcall("HGET", k, "stacktrace") or "[]")
  if not ok or type(st) ~= "table" then st = {} end
  st[#st + 1] = reason
  local limit = tonumber(o.stackTraceLimit)
  if limit then
    while #st > limit do table.remove(st, 1) end
  end
  if #st == 0 then
    rcall("HSET", k, "stacktrace", "[]")
  else
    rcall("HSET", k, "stacktrace", cjson.encode(st))
  end
end
-- Removes a job and its subkeys.
local function removeJob(id)
  local k = P .. id
  rcall("DEL", k, k .. ":logs", k .. ":lock", k .. ":dependencies", k .. ":processed",
        k .. ":failed", k .. ":unsuccessful")
end
-- Stores a new job and makes it ready or delayed. Returns {id, 1}, or {id, 0} when a job with
-- the custom id exists. Every add increments `id`, as BullMQ's does.
local function addJob(customId, name, ts, data, opts, delay, priority, rjk, now)
  -- A queue first written by us gets BullMQ's `meta` fields as a Node Queue writes them on start
  -- (a Node Queue that starts later overwrites `version` with its own).
  if not meta()[5] then
    rcall("HSET", P .. "meta", "opts.maxLenEvents", 10000, "version", LIB_VERSION)
    metaFields = nil
  end
  local n = rcall("INCR", P .. "id")
  local id = customId
  if id == "" then
    id = tostring(n)
  elseif rcall("EXISTS", P .. id) == 1 then
    emit("duplicated", "jobId", id)
    return {id, 0}
  end
  local readyOn = now
  if delay > 0 then readyOn = ts + delay end
  if rjk ~= "" then
    rcall("HSET", P .. id, "name", name, "data", data, "opts", opts, "timestamp", ts,
          "delay", delay, "priority", priority, "rdy", readyOn, "rjk", rjk)
  else
    rcall("HSET", P .. id, "name", name, "data", data, "opts", opts, "timestamp", ts,
          "delay", delay, "priority", priority, "rdy", readyOn)
  end
  emit("added", "jobId", id, "name", name)
  if delay > 0 then
    makeDelayed(id, readyOn)
  else
    makeReady(id, priority, nil, nil)
    markReady()
  end
  return {id, 1}
end
-- Moves up to 1000 due delayed jobs to ready.
local function promote(now)
  local due = rcall("ZRANGEBYSCORE", P .. "delayed", 0, (now + 1) * 4096 - 1, "WITHSCORES",
                    "LIMIT", 0, 1000)
  if #due == 0 then return 0 end
  for i = 1, #due, 2 do
    local id = due[i]
    rcall("ZREM", P .. "delayed", id)
    local priority = tonumber(rcall("HGET", P .. id, "priority")) or 0
    rcall("HSET", P .. id, "delay", 0, "rdy", math.floor(tonumber(due[i + 1]) / 4096))
    makeReady(id, priority, nil, "delayed")
  end
  markReady()
  return #due / 2
end
-- Takes the next job: promotes due delayed jobs, honours pause, global concurrency and the global
-- rate limit (meta max/duration), takes from `wait` first, then `prioritized`, locks it with
-- `token`, stamps processedOn (and pb) and counts the attempt started (ats). Returns
-- {id, HGETALL} or {"", earliest delayed due or 0}.
local function takeNext(now, token, lockMs, workerName)
  promote(now)
  if blocked() then return {"", 0} end
  local lim = meta()
  local maxJobs = tonumber(lim[3])
  if maxJobs then
    local used = tonumber(rcall("GET", P .. "limiter")) or 0
    if used >= maxJobs then
      local ttl = rcall("PTTL", P .. "limiter")
      if ttl > 0 then return {"", now + ttl} end
    end
  end
  local id = rcall("RPOPLPUSH", P .. "wait", P .. "active")
  if not id then
    local z = rcall("ZPOPMIN", P .. "prioritized")
    if z[1] then
      id = z[1]
      rcall("LPUSH", P .. "active", id)
    else
      rcall("DEL", P .. "pc")
      return {"", earliestDue() or 0}
    end
  end
  if maxJobs and rcall("INCR", P .. "limiter") == 1 then
    rcall("PEXPIRE", P .. "limiter", tonumber(lim[4]) or 1000)
  end
  rcall("SET", P .. id .. ":lock", token, "PX", lockMs)
  emit("active", "jobId", id, "prev", "waiting")
  if workerName ~= "" then
    rcall("HSET", P .. id, "processedOn", now, "pb", workerName)
  else
    rcall("HSET", P .. id, "processedOn", now)
  end
  rcall("HINCRBY", P .. id, "ats", 1)
  rcall("ZADD", P .. "marker", 0, "0")
  return {id, rcall("HGETALL", P .. id)}
end
-- Checks that `token` owns active job `id` and releases it: 0, or BullMQ's codes -1 (no job),
-- -2 (no lock), -6 (another owner), -3 (not active).
local function release(id, token)
  local k = P .. id
  if rcall("EXISTS", k) == 0 then return -1 end
  local owner = rcall("GET", k .. ":lock")
  if not owner then return -2 end
  if owner ~= token then return -6 end
  rcall("DEL", k .. ":lock")
  rcall("SREM", P .. "stalled", id)
  if rcall("LREM", P .. "active", -1, id) == 0 then return -3 end
  return 0
end
-- Removes a schedule's pending run `runId` unless it is active.
local function removePending(runId)
  if rcall("ZREM", P .. "delayed", runId) + rcall("ZREM", P .. "prioritized", runId) +
     rcall("LREM", P .. "wait", 0, runId) > 0 then
    removeJob(runId)
  end
end
-- The opts of a schedule's run: the template opts plus BullMQ's repeat fields.
local function runOpts(opts, schedId, runId, millis, every, pattern, count, offset)
  local o = cjson.decode(opts)
  local r = {count = count}
  if every and every ~= "" then
    r.every = tonumber(every)
    r.offset = tonumber(offset) or 0
  else
    r.pattern = pattern
  end
  o["repeat"] = r
  o.jobId = runId
  o.repeatJobKey = schedId
  o.prevMillis = millis
  return cjson.encode(o)
end
)lua";

Script make(const char* body) {
  // `meta.version` is `<library>:<version>`, as BullMQ writes `bullmq:6.7.0`.
  return Script("local LIB_VERSION = \"adminara-obs:" + std::string(kVersion) + "\"\n" + kPrelude +
                body);
}

}  // namespace

// ARGV: P, custom id ("" = next counter), name, timestamp, data JSON, opts JSON, delay ms,
// priority, scheduler id ("" = none), now. Returns {id, added (1/0)}.
const Script& add_job() {
  static const Script s = make(R"lua(
return addJob(ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], tonumber(ARGV[7]),
              tonumber(ARGV[8]), ARGV[9], tonumber(ARGV[10]))
)lua");
  return s;
}

// Several jobs in one call (add_bulk): ARGV: P, then for each job the 9 arguments of add_job after
// P. Returns {id, added, id, added, ...}. Each job is added as add_job would (in order; the call
// as a whole is atomic).
const Script& add_jobs() {
  static const Script s = make(R"lua(
local out = {}
for i = 2, #ARGV - 8, 9 do
  local r = addJob(ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3], ARGV[i + 4],
                   tonumber(ARGV[i + 5]), tonumber(ARGV[i + 6]), ARGV[i + 7], tonumber(ARGV[i + 8]))
  out[#out + 1] = r[1]
  out[#out + 1] = r[2]
end
return out
)lua");
  return s;
}

// ARGV: P, now, token, lock ms, worker name. Returns takeNext's reply.
const Script& move_to_active() {
  static const Script s = make(R"lua(
return takeNext(tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5])
)lua");
  return s;
}

// Completes or fails an active job, applies retention, and optionally takes the next job.
// ARGV: P, id, token, now, "completed" | "failed", return value JSON | failed reason,
// keep count (-1 = all), keep age ms (0 = no limit), attempts (for retries-exhausted; 0: the
// job's opts.attempts), fetch next ("1"/"0"), next token, lock ms, worker name.
// Returns {code} or {0, takeNext's reply...} with fetch next.
const Script& move_to_finished() {
  static const Script s = make(R"lua(
local id, now, target, value = ARGV[2], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local code = release(id, ARGV[3])
if code ~= 0 then return {code} end
local k = P .. id
local atm = rcall("HINCRBY", k, "atm", 1)
-- retries-exhausted is emitted when atm >= opts.attempts (bullmq-protocol.md §5.4 step 8), the
-- job's own attempts unless the caller passes them; an unrecoverable failure with attempts left
-- emits none, as with Node's workers.
local attempts = tonumber(ARGV[9]) or 0
if target == "failed" then
  local o = jobOpts(k)
  if attempts == 0 then attempts = tonumber(o.attempts) or 0 end
  addTrace(k, o, value)
  rcall("HDEL", k, "defa")
end
local deid = rcall("HGET", k, "deid")
if deid and rcall("GET", P .. "de:" .. deid) == id then rcall("DEL", P .. "de:" .. deid) end
local keepCount, keepAge = tonumber(ARGV[7]), tonumber(ARGV[8])
local field = "returnvalue"
if target == "failed" then field = "failedReason" end
if keepCount ~= 0 then
  local set = P .. target
  rcall("ZADD", set, now, id)
  rcall("HSET", k, field, value, "finishedOn", now)
  if keepAge > 0 then
    local old = rcall("ZRANGEBYSCORE", set, "-inf", "(" .. (now - keepAge))
    for _, o in ipairs(old) do
      removeJob(o)
      rcall("ZREM", set, o)
    end
  end
  if keepCount > 0 then
    local old = rcall("ZRANGE", set, 0, -(keepCount + 1))
    for _, o in ipairs(old) do
      removeJob(o)
      rcall("ZREM", set, o)
    end
  end
else
  removeJob(id)
end
if target == "completed" then
  emit("completed", "jobId", id, "returnvalue", value, "prev", "active")
else
  emit("failed", "jobId", id, "failedReason", value, "prev", "active")
  if atm >= attempts then
    emit("retries-exhausted", "jobId", id, "attemptsMade", atm)
  end
end
local r
if ARGV[10] == "1" then
  r = takeNext(now, ARGV[11], ARGV[12], ARGV[13])
  if r[1] ~= "" then return {0, r[1], r[2]} end
end
-- Nothing taken (or nothing asked for): `drained` when the queue is empty, fetch next or not, as
-- Node's workers emit it after their last job (bullmq-protocol.md §5.4 step 10, §13).
if rcall("LLEN", P .. "wait") == 0 and rcall("LLEN", P .. "active") == 0 and
   rcall("ZCARD", P .. "prioritized") == 0 then
  emit("drained")
end
if r then return {0, r[1], r[2]} end
return {0}
)lua");
  return s;
}

// A failed attempt with attempts left: back to delayed for the backoff, or straight to ready.
// ARGV: P, id, token, now, backoff ms, failed reason. Returns {code}.
const Script& retry_job() {
  static const Script s = make(R"lua(
local id, now, delay = ARGV[2], tonumber(ARGV[4]), tonumber(ARGV[5])
local code = release(id, ARGV[3])
if code ~= 0 then return {code} end
local k = P .. id
rcall("HINCRBY", k, "atm", 1)
rcall("HSET", k, "failedReason", ARGV[6])
addTrace(k, jobOpts(k), ARGV[6])
if delay > 0 then
  rcall("HSET", k, "delay", delay, "rdy", now + delay)
  makeDelayed(id, now + delay)
else
  makeReady(id, tonumber(rcall("HGET", k, "priority")) or 0, now, "active")
  markReady()
end
return {0}
)lua");
  return s;
}

// ARGV: P, id, token, lock ms. Returns 1 when extended, 0 when the token does not own the lock.
const Script& extend_lock() {
  static const Script s = make(R"lua(
local lock = P .. ARGV[2] .. ":lock"
if rcall("GET", lock) ~= ARGV[3] then return 0 end
rcall("SET", lock, ARGV[3], "PX", ARGV[4])
rcall("SREM", P .. "stalled", ARGV[2])
return 1
)lua");
  return s;
}

// BullMQ's stall check. ARGV: P, max stalled count, now, stalled interval ms.
// Returns {0} when another caller ran it within the interval, else {1, recovered, deferred}.
const Script& check_stalled() {
  static const Script s = make(R"lua(
local maxStalled, now = tonumber(ARGV[2]), tonumber(ARGV[3])
if not rcall("SET", P .. "stalled-check", now, "PX", ARGV[4], "NX") then return {0} end
local recovered, deferred = {}, {}
for _, id in ipairs(rcall("SMEMBERS", P .. "stalled")) do
  local k = P .. id
  if rcall("EXISTS", k .. ":lock") == 0 and rcall("LREM", P .. "active", 1, id) > 0 then
    local stc = rcall("HINCRBY", k, "stc", 1)
    if stc > maxStalled and not rcall("HGET", k, "rjk") then
      rcall("HSET", k, "defa", "job stalled more than allowable limit")
      deferred[#deferred + 1] = id
    end
    rcall("RPUSH", P .. "wait", id)
    rcall("HSET", k, "rdy", now)
    emit("stalled", "jobId", id)
    emit("waiting", "jobId", id, "prev", "active")
    recovered[#recovered + 1] = id
  end
end
rcall("DEL", P .. "stalled")
local active = rcall("LRANGE", P .. "active", 0, -1)
for i = 1, #active, 5000 do
  rcall("SADD", P .. "stalled", unpack(active, i, math.min(i + 4999, #active)))
end
if #recovered > 0 then markReady() end
return {1, recovered, deferred}
)lua");
  return s;
}

// ARGV: P, now. Returns how many delayed jobs became ready.
const Script& promote_delayed() {
  static const Script s = make(R"lua(
return promote(tonumber(ARGV[2]))
)lua");
  return s;
}

// ARGV: P. Returns {waiting, prioritized, delayed, active, completed, failed}.
const Script& counts() {
  static const Script s = make(R"lua(
return {rcall("LLEN", P .. "wait") + rcall("LLEN", P .. "paused"), rcall("ZCARD", P .. "prioritized"),
        rcall("ZCARD", P .. "delayed"), rcall("LLEN", P .. "active"),
        rcall("ZCARD", P .. "completed"), rcall("ZCARD", P .. "failed")}
)lua");
  return s;
}

// ARGV: P, id. Returns {} when unknown, else {state, HGETALL}.
const Script& get_job() {
  static const Script s = make(R"lua(
local id = ARGV[2]
local fields = rcall("HGETALL", P .. id)
if #fields == 0 then return {} end
local state = "unknown"
if rcall("ZSCORE", P .. "completed", id) then state = "completed"
elseif rcall("ZSCORE", P .. "failed", id) then state = "failed"
elseif rcall("ZSCORE", P .. "delayed", id) then state = "delayed"
elseif rcall("ZSCORE", P .. "prioritized", id) then state = "prioritized"
elseif rcall("LPOS", P .. "active", id) then state = "active"
elseif rcall("LPOS", P .. "wait", id) or rcall("LPOS", P .. "paused", id) then state = "waiting"
end
return {state, fields}
)lua");
  return s;
}

// ARGV: P, "1" to pause / "0" to resume.
const Script& pause() {
  static const Script s = make(R"lua(
if ARGV[2] == "1" then
  rcall("HSET", P .. "meta", "paused", 1)
  rcall("DEL", P .. "marker")
  emit("paused")
else
  rcall("HDEL", P .. "meta", "paused")
  while rcall("RPOPLPUSH", P .. "paused", P .. "wait") do end
  if rcall("LLEN", P .. "wait") > 0 or rcall("ZCARD", P .. "prioritized") > 0 then markReady() end
  markDelayed()
  emit("resumed")
end
return 0
)lua");
  return s;
}

// ARGV: P, include delayed ("1"/"0"). Returns how many jobs were removed.
const Script& drain() {
  static const Script s = make(R"lua(
local n = 0
for _, list in ipairs({"wait", "paused"}) do
  for _, id in ipairs(rcall("LRANGE", P .. list, 0, -1)) do removeJob(id); n = n + 1 end
  rcall("DEL", P .. list)
end
local sets = {"prioritized"}
if ARGV[2] == "1" then sets[2] = "delayed" end
for _, set in ipairs(sets) do
  for _, id in ipairs(rcall("ZRANGE", P .. set, 0, -1)) do removeJob(id); n = n + 1 end
  rcall("DEL", P .. set)
end
rcall("DEL", P .. "pc")
return n
)lua");
  return s;
}

// Creates or updates a schedule (`repeat` zset + `repeat:<id>` hash) and its first run.
// ARGV: P, id, job name, every ms ("" for cron), cron pattern, data JSON, template opts JSON,
// first run millis, run timestamp, run delay ms, run priority, now.
// Returns the pending run's millis (unchanged definitions keep theirs).
const Script& upsert_schedule() {
  static const Script s = make(R"lua(
local id, name, every, pattern, data, opts = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local key = P .. "repeat:" .. id
local cur = rcall("HMGET", key, "name", "every", "pattern", "data", "opts")
local score = rcall("ZSCORE", P .. "repeat", id)
if score and cur[1] == name and (cur[2] or "") == every and (cur[3] or "") == pattern and
   cur[4] == data and cur[5] == opts then
  return score
end
if score then removePending("repeat:" .. id .. ":" .. score) end
rcall("DEL", key)
if every ~= "" then
  rcall("HSET", key, "name", name, "every", every, "offset", 0, "data", data, "opts", opts, "ic", 0)
else
  rcall("HSET", key, "name", name, "pattern", pattern, "data", data, "opts", opts, "ic", 0)
end
local millis = ARGV[8]
rcall("ZADD", P .. "repeat", millis, id)
local ic = rcall("HINCRBY", key, "ic", 1)
local runId = "repeat:" .. id .. ":" .. millis
addJob(runId, name, tonumber(ARGV[9]), data, runOpts(opts, id, runId, tonumber(millis), every,
       pattern, ic), tonumber(ARGV[10]), tonumber(ARGV[11]), id, tonumber(ARGV[12]))
return millis
)lua");
  return s;
}

// Creates a schedule's next run, only when `current run id` is its pending run.
// ARGV: P, id, current run id, next millis (used for cron schedules), run timestamp, run delay
// (ignored: computed from the next millis here), run priority, now.
// Returns 1 when created, 0 otherwise.
//
// Schedules made by Node's upsertJobScheduler carry what our own do not (bullmq-protocol.md §7),
// and a worker advancing them must honour it as Node's does:
//   - `every`: the next run is prevMillis + every, realigned to the schedule's grid when it fell
//     behind. The grid is `offset` (mod every): Node stores offset = first run mod every when
//     none is given (ours: 0, the epoch grid), so it is computed here from the stored hash rather
//     than by the caller.
//   - `limit` (no run beyond `limit` iterations; `ic` counts those created) and `endDate` (no run
//     after it), which Node's JS enforces before creating the next run.
const Script& advance_schedule() {
  static const Script s = make(R"lua(
local id, now = ARGV[2], tonumber(ARGV[8])
local score = rcall("ZSCORE", P .. "repeat", id)
if not score or ("repeat:" .. id .. ":" .. score) ~= ARGV[3] then return 0 end
local key = P .. "repeat:" .. id
local h = rcall("HMGET", key, "name", "every", "pattern", "data", "opts", "offset", "limit",
                "endDate", "ic")
if h[7] and (tonumber(h[9]) or 0) + 1 > tonumber(h[7]) then return 0 end
if h[8] and now > tonumber(h[8]) then return 0 end
local millis = tonumber(ARGV[4])
local every = tonumber(h[2])
if every and every > 0 then
  local offset = tonumber(h[6]) or 0
  millis = tonumber(score) + every
  if millis <= now then millis = math.floor((now - offset) / every) * every + every + offset end
end
millis = string.format("%d", millis)
rcall("ZADD", P .. "repeat", millis, id)
local ic = rcall("HINCRBY", key, "ic", 1)
local runId = "repeat:" .. id .. ":" .. millis
addJob(runId, h[1], tonumber(ARGV[5]), h[4] or "{}", runOpts(h[5] or "{}", id, runId,
       tonumber(millis), h[2], h[3], ic, h[6]), math.max(0, tonumber(millis) - now),
       tonumber(ARGV[7]), id, now)
return 1
)lua");
  return s;
}

// ARGV: P, id. Returns 1 when the schedule existed.
const Script& remove_schedule() {
  static const Script s = make(R"lua(
local id = ARGV[2]
local score = rcall("ZSCORE", P .. "repeat", id)
rcall("DEL", P .. "repeat:" .. id)
if not score then return 0 end
removePending("repeat:" .. id .. ":" .. score)
rcall("ZREM", P .. "repeat", id)
return 1
)lua");
  return s;
}

// ARGV: P, id ("" = all). Returns {id, next millis, HGETALL, ...}.
const Script& schedules() {
  static const Script s = make(R"lua(
local out = {}
local ids
if ARGV[2] ~= "" then
  local score = rcall("ZSCORE", P .. "repeat", ARGV[2])
  if not score then return out end
  ids = {ARGV[2], score}
else
  ids = rcall("ZRANGE", P .. "repeat", 0, -1, "WITHSCORES")
end
for i = 1, #ids, 2 do
  out[#out + 1] = ids[i]
  out[#out + 1] = ids[i + 1]
  out[#out + 1] = rcall("HGETALL", P .. "repeat:" .. ids[i])
end
return out
)lua");
  return s;
}

}  // namespace adminara::obs::jobs::redis::scripts
