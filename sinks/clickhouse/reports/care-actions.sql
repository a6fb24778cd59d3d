-- Title: Care actions
-- Summary: what the service offered customers whose playback went bad, by remedy and problem (default: last hour)
-- Answers "whom did we reach out to, and why?" from care_actions (latest row per session: FINAL), one
-- line per remedy and set of problems, with how many sessions and profiles and the latest action.
-- Param since DateTime: start of the window (pulse report --since, default 1h ago)
SELECT
    remedy,
    arrayStringConcat(problems, ', ') AS problems,
    count() AS actions,
    uniqExact(profile_id) AS profiles,
    max(action_time) AS latest
FROM {database}.care_actions FINAL
WHERE action_time >= {since:DateTime}
GROUP BY remedy, problems
ORDER BY actions DESC, remedy, problems
