-- Title: A/B comparison of two cells
-- Summary: one metric (a proportion) in two cells of an A/B test, with counts and a 95% confidence interval
-- Answers "is cell B different from cell A?" from engagement_1m (via engagement_1m_v), where an event
-- counts in the cell its app session was allocated for each test. Metrics (successes / trials):
-- ctr = clicks / impressions, plays_per_impression = plays / impressions, completion = completions /
-- plays, autoplay_next = autoplay-next / plays. The interval is the normal (Wald) 95% interval for
-- the difference of two proportions, diff ± 1.96·sqrt(pA(1−pA)/nA + pB(1−pB)/nB): if it excludes 0,
-- the cells differ at about the 5% level. With a few dozen trials per cell it is wide; read the counts.
-- Param since DateTime: start of the window (pulse report --since, default 1h ago)
-- Param test String = "": the A/B test id (ab_test_id); "" picks the test with the most impressions
-- Param cell_a String = "": the control cell; "" picks the test's first cell by name
-- Param cell_b String = "": the treatment cell; "" picks the test's second cell by name
-- Param metric String = ctr: ctr, plays_per_impression, completion or autoplay_next
WITH
    per_cell AS
    (
        SELECT ab_test_id, ab_cell, sum(impressions) AS impressions, sum(clicks) AS clicks, sum(plays) AS plays,
               sum(completions) AS completions, sum(autoplay_next) AS autoplay_next
        FROM {database}.engagement_1m_v
        WHERE minute >= toStartOfMinute({since:DateTime}) AND ab_test_id != ''
        GROUP BY ab_test_id, ab_cell
    ),
    if({test:String} != '', {test:String},
       (SELECT ab_test_id FROM per_cell GROUP BY ab_test_id ORDER BY sum(impressions) DESC, ab_test_id LIMIT 1)) AS chosen_test,
    (SELECT groupArray(ab_cell) FROM (SELECT ab_cell FROM per_cell WHERE ab_test_id = chosen_test ORDER BY ab_cell)) AS cells,
    if({cell_a:String} != '', {cell_a:String}, cells[1]) AS a,
    if({cell_b:String} != '', {cell_b:String}, cells[2]) AS b,
    cell_counts AS
    (
        SELECT
            ab_cell,
            multiIf({metric:String} = 'ctr', clicks, {metric:String} = 'plays_per_impression', plays,
                    {metric:String} = 'completion', completions, {metric:String} = 'autoplay_next', autoplay_next,
                    throwIf(true, 'metric must be ctr, plays_per_impression, completion or autoplay_next')) AS successes,
            if({metric:String} IN ('ctr', 'plays_per_impression'), impressions, plays) AS trials
        FROM per_cell
        WHERE ab_test_id = chosen_test AND ab_cell IN (a, b)
    ),
    sumIf(successes, ab_cell = a) AS sa, sumIf(trials, ab_cell = a) AS na,
    sumIf(successes, ab_cell = b) AS sb, sumIf(trials, ab_cell = b) AS nb,
    sa / na AS pa, sb / nb AS pb,
    1.96 * sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb) AS margin
SELECT
    chosen_test AS test,
    {metric:String} AS metric,
    a AS cell_a, sa AS successes_a, na AS trials_a, round(pa, 4) AS rate_a,
    b AS cell_b, sb AS successes_b, nb AS trials_b, round(pb, 4) AS rate_b,
    round(pb - pa, 4) AS diff_b_minus_a,
    round(pb - pa - margin, 4) AS ci95_low,
    round(pb - pa + margin, 4) AS ci95_high
FROM cell_counts
