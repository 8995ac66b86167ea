// The Redis backend's Lua scripts: each QueueBackend operation that changes state is one script,
// so it is atomic against our other workers and against Node BullMQ workers on the same keys.
// Written from BullMQ 6.7.0's data contracts (docs/jobs.md, "Layout"; BullMQ's src/commands/*.lua,
// such as moveToActive-11.lua and moveToFinished-14.lua: key names and types, job hash fields,
// scores, marker members, event fields); BullMQ's own scripts are not used. Every script takes
// KEYS[1] = `<prefix>meta` and ARGV[1] = the queue prefix
// (`bull:<queue>:`); the argument lists are documented at each script in scripts.cc.
#pragma once

#include "jobs/redis/redis_client.h"

namespace adminara::obs::jobs::redis::scripts {

const Script& add_job();
const Script& add_jobs();
const Script& move_to_active();
const Script& move_to_finished();
const Script& retry_job();
const Script& extend_lock();
const Script& check_stalled();
const Script& promote_delayed();
const Script& counts();
const Script& get_job();
const Script& pause();
const Script& drain();
const Script& upsert_schedule();
const Script& advance_schedule();
const Script& remove_schedule();
const Script& schedules();

}  // namespace adminara::obs::jobs::redis::scripts
