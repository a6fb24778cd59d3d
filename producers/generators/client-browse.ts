// App sessions outside playback: the A/B allocations reported at app start, then browsing (row
// impressions, title clicks, searches) until the viewer plays something or leaves.
import type { ClientEvent } from '../../schemas/types.ts'
import { AB_TESTS, ROW_LENGTH, ROWS, SEARCH_QUERIES } from './client-catalog.ts'
import { playRequest } from './client-playback.ts'
import { hash32 } from './random.ts'
import { beginBrowsing, endSession, newEvent } from './viewer.ts'
import type { SimContext, Viewer } from './viewer.ts'

/** Cell names by 0-based cell index, built once. */
const CELL_NAMES: readonly string[] = Array.from({ length: 16 }, (_, i) => `cell-${i + 1}`)

export function startSession(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  viewer.appSessionId = sim.rng.uuid()
  viewer.nextAbTest = 0
  viewer.clickedTitle = -1
  beginBrowsing(sim, viewer, now)
  return browse(sim, viewer, now)
}

export function browse(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  const allocation = nextAllocation(sim, viewer, now)
  if (allocation !== null) return allocation
  const { rng, titles } = sim
  if (now >= viewer.browseUntil) {
    if (rng.chance(0.75)) {
      const title = viewer.clickedTitle >= 0 ? viewer.clickedTitle : titles.popular(rng)
      return playRequest(sim, viewer, now, title, false)
    }
    const last = rowImpression(sim, viewer, now)
    endSession(sim, viewer, now)
    return last
  }
  if (viewer.clickedTitle >= 0 && rng.chance(0.5)) return playRequest(sim, viewer, now, viewer.clickedTitle, false)
  const u = rng.float()
  if (u < 0.72) return rowImpression(sim, viewer, now)
  if (u < 0.9) return titleClick(sim, viewer, now)
  return search(sim, viewer, now)
}

/**
 * The profile's cell in each test it is enrolled in, one allocation event per step at session start.
 * Enrolment and cell are hashes of (seed, profile, test), so a profile keeps its cell on every device
 * and in every session.
 */
function nextAllocation(sim: SimContext, viewer: Viewer, now: number): ClientEvent | null {
  for (let i = viewer.nextAbTest; i < AB_TESTS.length; i++) {
    const test = AB_TESTS[i]
    if (test === undefined) break
    const key = viewer.profileIndex * 64 + i
    if (hash32(sim.seed ^ 0x5eed, key) % 1000 >= test.enrollment * 1000) continue
    viewer.nextAbTest = i + 1
    const event = newEvent(sim.rng, viewer, 'ab_allocation', now)
    event.ab_test_id = test.id
    event.ab_cell = CELL_NAMES[hash32(sim.seed ^ 0xce11, key) % test.cells] ?? 'cell-1'
    return event
  }
  viewer.nextAbTest = AB_TESTS.length
  return null
}

function rowImpression(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  const event = newEvent(sim.rng, viewer, 'row_impression', now)
  placeInRow(sim, event)
  return event
}

function titleClick(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  const event = newEvent(sim.rng, viewer, 'title_click', now)
  viewer.clickedTitle = placeInRow(sim, event)
  return event
}

function search(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  const event = newEvent(sim.rng, viewer, 'search', now)
  event.search_query = sim.rng.pick(SEARCH_QUERIES)
  return event
}

/** Fills row_id, row_position (the title's place within its row, front-loaded) and title_id. */
function placeInRow(sim: SimContext, event: ClientEvent): number {
  const { rng, titles } = sim
  const title = titles.popular(rng)
  const u = rng.float()
  event.row_id = rng.pick(ROWS)
  event.row_position = Math.floor(ROW_LENGTH * u * u)
  event.title_id = titles.id(title)
  return title
}
