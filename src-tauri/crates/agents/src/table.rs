//! The run table: every run this process is responsible for, from queued to its recorded end, in one map under
//! one lock. A run is `Queued` (waiting for a slot, first come first served under a global and a per-project
//! limit — a run whose project is full lets later runs of other projects pass), `Starting` (it holds a slot; its
//! worktree is being prepared, nothing can be shown yet) or `Live` (viewers can attach: its setup script or its
//! agent runs). A stop is a flag on the entry, so a stop that arrives before the process exists is seen when it
//! does. The entry goes when the run's end is recorded, and its slot with it.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use uuid::Uuid;

use crate::live::LiveRun;

#[derive(Debug, Clone)]
pub(crate) enum RunState {
    Queued,
    Starting,
    Live(Arc<LiveRun>),
    /// A stop came for a run not (yet) in the table — its row was read between its insert and its queueing:
    /// when it arrives it is refused (and recorded as stopped) instead of starting.
    Refused,
}

#[derive(Debug)]
struct Entry {
    project: Uuid,
    state: RunState,
    stop_requested: bool,
    /// Counts toward the limits (an agent run); a user's shell does not.
    slot: bool,
}

/// What a stop found.
#[derive(Debug)]
pub(crate) enum StopFound {
    /// The run was waiting: it is out of the table and will never start.
    Dropped,
    /// The run holds a slot: marked to stop (its live state, if it has one yet, to signal).
    Marked(Option<Arc<LiveRun>>),
    /// Not in the table (never queued here, or its end is recorded).
    Absent,
}

/// A run whose end was recorded, as the table had it.
#[derive(Debug)]
pub(crate) struct Ended {
    pub live: Option<Arc<LiveRun>>,
}

#[derive(Debug, Default)]
pub(crate) struct RunTable {
    runs: HashMap<Uuid, Entry>,
    /// Queued runs in arrival order.
    waiting: VecDeque<Uuid>,
}

impl RunTable {
    /// Queues a run (a run already in the table stays as it is). False when a stop came first: the run must not
    /// start (the caller records it as stopped).
    pub fn enqueue(&mut self, run: Uuid, project: Uuid) -> bool {
        self.add(run, Entry { project, state: RunState::Queued, stop_requested: false, slot: true })
    }

    /// A run that starts at once, outside the queue and its limits (a user's shell). False as for `enqueue`.
    pub fn start_unqueued(&mut self, run: Uuid, project: Uuid) -> bool {
        self.add(run, Entry { project, state: RunState::Starting, stop_requested: false, slot: false })
    }

    fn add(&mut self, run: Uuid, entry: Entry) -> bool {
        match self.runs.get(&run).map(|e| &e.state) {
            Some(RunState::Refused) => {
                self.runs.remove(&run);
                false
            }
            Some(_) => true,
            None => {
                if matches!(entry.state, RunState::Queued) {
                    self.waiting.push_back(run);
                }
                self.runs.insert(run, entry);
                true
            }
        }
    }

    /// Runs holding a slot.
    fn started(&self) -> impl Iterator<Item = &Entry> {
        self.runs.values().filter(|e| e.slot && matches!(e.state, RunState::Starting | RunState::Live(_)))
    }

    /// The queued runs that may start now; each then holds a slot (`Starting`) until its end.
    pub fn take_startable(&mut self, max_total: usize, max_per_project: usize) -> Vec<Uuid> {
        let mut started = Vec::new();
        let mut per_project: HashMap<Uuid, usize> = HashMap::new();
        for e in self.started() {
            *per_project.entry(e.project).or_default() += 1;
        }
        let mut total: usize = per_project.values().sum();
        let mut i = 0;
        while i < self.waiting.len() && total < max_total {
            let run = self.waiting[i];
            let Some(entry) = self.runs.get_mut(&run) else {
                self.waiting.remove(i);
                continue;
            };
            let in_project = per_project.entry(entry.project).or_default();
            if *in_project < max_per_project {
                *in_project += 1;
                total += 1;
                entry.state = RunState::Starting;
                self.waiting.remove(i);
                started.push(run);
            } else {
                i += 1;
            }
        }
        started
    }

    /// 1-based place among the queued runs.
    pub fn position(&self, run: Uuid) -> Option<usize> {
        self.waiting.iter().position(|r| *r == run).map(|i| i + 1)
    }

    /// The run is live: viewers can attach, a stop reaches its processes.
    pub fn set_live(&mut self, live: Arc<LiveRun>) {
        if let Some(e) = self.runs.get_mut(&live.id) {
            e.state = RunState::Live(live);
        }
    }

    pub fn live(&self, run: Uuid) -> Option<Arc<LiveRun>> {
        match &self.runs.get(&run)?.state {
            RunState::Live(l) => Some(l.clone()),
            _ => None,
        }
    }

    /// Every live run.
    pub fn lives(&self) -> Vec<Arc<LiveRun>> {
        self.runs
            .values()
            .filter_map(|e| match &e.state {
                RunState::Live(l) => Some(l.clone()),
                _ => None,
            })
            .collect()
    }

    /// A stop: a queued run leaves the table; a started one is marked (and stays until its end is recorded); a
    /// run not here is refused should it arrive (`forget` drops that once its row shows it ended).
    pub fn stop(&mut self, run: Uuid) -> StopFound {
        let Some(e) = self.runs.get_mut(&run) else {
            let refused = Entry { project: Uuid::nil(), state: RunState::Refused, stop_requested: true, slot: false };
            self.runs.insert(run, refused);
            return StopFound::Absent;
        };
        match &e.state {
            RunState::Refused => StopFound::Absent,
            RunState::Queued => {
                self.runs.remove(&run);
                self.waiting.retain(|r| *r != run);
                StopFound::Dropped
            }
            RunState::Starting => {
                e.stop_requested = true;
                StopFound::Marked(None)
            }
            RunState::Live(l) => {
                e.stop_requested = true;
                StopFound::Marked(Some(l.clone()))
            }
        }
    }

    /// Marks every started run to stop (shutdown; queued runs stay queued for the next start); the live ones.
    pub fn stop_started(&mut self) -> Vec<Arc<LiveRun>> {
        let mut lives = Vec::new();
        for e in self.runs.values_mut() {
            match &e.state {
                RunState::Queued | RunState::Refused => {}
                RunState::Starting => e.stop_requested = true,
                RunState::Live(l) => {
                    e.stop_requested = true;
                    lives.push(l.clone());
                }
            }
        }
        lives
    }

    pub fn stop_requested(&self, run: Uuid) -> bool {
        self.runs.get(&run).is_some_and(|e| e.stop_requested)
    }

    /// A refused run's row shows it ended: nothing will arrive.
    pub fn forget(&mut self, run: Uuid) {
        if self.runs.get(&run).is_some_and(|e| matches!(e.state, RunState::Refused)) {
            self.runs.remove(&run);
        }
    }

    /// The run's end is recorded: it leaves the table and frees its slot.
    pub fn end(&mut self, run: Uuid) -> Option<Ended> {
        let e = self.runs.remove(&run)?;
        self.waiting.retain(|r| *r != run);
        Some(Ended {
            live: match e.state {
                RunState::Live(l) => Some(l),
                _ => None,
            },
        })
    }

    /// (queued, holding a slot).
    #[cfg(test)]
    fn counts(&self) -> (usize, usize) {
        (self.waiting.len(), self.started().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_respected_and_order_is_kept() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let runs: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let mut t = RunTable::default();
        for (i, r) in runs.iter().enumerate() {
            t.enqueue(*r, if i < 3 { a } else { b });
        }
        // Global 3, per project 2: a0, a1, then a2 must wait for its project, so b3 passes it.
        assert_eq!(t.take_startable(3, 2), vec![runs[0], runs[1], runs[3]]);
        assert_eq!(t.position(runs[2]), Some(1));
        assert_eq!(t.position(runs[4]), Some(2));
        assert!(t.take_startable(3, 2).is_empty());
        assert!(t.end(runs[0]).is_some());
        assert_eq!(t.take_startable(3, 2), vec![runs[2]]);
        assert!(t.end(runs[3]).is_some());
        assert_eq!(t.take_startable(3, 2), vec![runs[4]]);
        assert_eq!(t.counts(), (0, 3));
    }

    #[test]
    fn a_stopped_queued_run_never_starts_and_a_started_one_stays_marked_until_its_end() {
        let p = Uuid::now_v7();
        let (r1, r2, r3) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut t = RunTable::default();
        t.enqueue(r1, p);
        t.enqueue(r2, p);
        t.enqueue(r2, p);
        assert!(matches!(t.stop(r1), StopFound::Dropped));
        assert!(matches!(t.stop(r1), StopFound::Absent));
        assert_eq!(t.take_startable(8, 8), vec![r2]);
        assert!(matches!(t.stop(r2), StopFound::Marked(None)));
        assert!(t.stop_requested(r2));
        t.enqueue(r3, p);
        assert!(t.stop_started().is_empty());
        assert!(!t.stop_requested(r3), "shutdown keeps queued runs queued");
        assert!(t.end(r2).is_some() && t.end(r2).is_none());
        assert!(!t.stop_requested(r2));
    }

    #[test]
    fn a_stop_before_the_run_is_queued_refuses_it_and_shells_hold_no_slot() {
        let p = Uuid::now_v7();
        let (early, shell, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut t = RunTable::default();
        assert!(matches!(t.stop(early), StopFound::Absent));
        assert!(!t.enqueue(early, p), "a run stopped before it was queued must not start");
        assert!(t.enqueue(early, p), "…once: the refusal is used up");
        assert!(matches!(t.stop(early), StopFound::Dropped));
        assert!(t.start_unqueued(shell, p));
        t.enqueue(other, p);
        assert_eq!(t.take_startable(1, 1), vec![other], "a shell takes no slot");
        assert!(matches!(t.stop(Uuid::nil()), StopFound::Absent));
        t.forget(Uuid::nil());
        assert_eq!(t.runs.len(), 2);
    }

    /// Many threads queue, start, stop and end runs at once: no run starts twice, none is lost, the limits hold.
    #[test]
    fn concurrent_queue_start_stop_and_end_lose_or_double_nothing() {
        use std::collections::HashSet;
        use std::sync::Mutex;
        const MAX: usize = 4;
        const PER_PROJECT: usize = 2;
        let table = Arc::new(Mutex::new(RunTable::default()));
        let projects: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let outcomes = Arc::new(Mutex::new(Vec::<(Uuid, &'static str)>::new()));
        let workers: Vec<_> = (0..8)
            .map(|w| {
                let (table, outcomes, projects) = (table.clone(), outcomes.clone(), projects.clone());
                std::thread::spawn(move || {
                    let mine: Vec<Uuid> = (0..50).map(|_| Uuid::now_v7()).collect();
                    for (i, r) in mine.iter().enumerate() {
                        let mut t = table.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        t.enqueue(*r, projects[(w + i) % projects.len()]);
                    }
                    let mut left: HashSet<Uuid> = mine.iter().copied().collect();
                    let mut n = 0usize;
                    while !left.is_empty() {
                        n += 1;
                        let mut t = table.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        let (_, started) = t.counts();
                        assert!(started <= MAX, "{started} runs hold a slot");
                        for r in t.take_startable(MAX, PER_PROJECT) {
                            outcomes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((r, "started"));
                        }
                        let r = *left.iter().nth(n % left.len()).unwrap_or(&mine[0]);
                        let what = if n.is_multiple_of(3) {
                            match t.stop(r) {
                                StopFound::Dropped => Some("dropped"),
                                StopFound::Marked(_) => t.end(r).map(|_| "ended"),
                                StopFound::Absent => None,
                            }
                        } else if t.position(r).is_none() {
                            t.end(r).map(|_| "ended")
                        } else {
                            None
                        };
                        if let Some(what) = what {
                            left.remove(&r);
                            outcomes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((r, what));
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            assert!(w.join().is_ok());
        }
        let outcomes = outcomes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut per_run: HashMap<Uuid, Vec<&str>> = HashMap::new();
        for (r, what) in outcomes.iter() {
            per_run.entry(*r).or_default().push(what);
        }
        assert_eq!(per_run.len(), 400, "every run was accounted for");
        for (r, seen) in per_run {
            assert!(
                seen == ["started", "ended"] || seen == ["dropped"],
                "run {r}: {seen:?} (a run starts at most once and ends exactly once)"
            );
        }
        assert_eq!(table.lock().unwrap_or_else(std::sync::PoisonError::into_inner).counts(), (0, 0));
    }
}
