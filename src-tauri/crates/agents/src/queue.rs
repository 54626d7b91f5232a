//! The run queue: a global and a per-project limit on runs at once; waiting runs start first come, first served
//! (a run whose project is at its limit lets later runs of other projects pass).

use std::collections::{HashMap, VecDeque};

use uuid::Uuid;

#[derive(Debug, Default)]
pub struct Queue {
    waiting: VecDeque<(Uuid, Uuid)>,
    /// run → project of runs holding a slot.
    running: HashMap<Uuid, Uuid>,
}

impl Queue {
    pub fn push(&mut self, run: Uuid, project: Uuid) {
        if !self.waiting.iter().any(|(r, _)| *r == run) && !self.running.contains_key(&run) {
            self.waiting.push_back((run, project));
        }
    }

    /// Takes a waiting run out of the queue; whether it was there.
    pub fn remove(&mut self, run: Uuid) -> bool {
        let before = self.waiting.len();
        self.waiting.retain(|(r, _)| *r != run);
        before != self.waiting.len()
    }

    /// Gives a run's slot back.
    pub fn release(&mut self, run: Uuid) {
        self.running.remove(&run);
    }

    /// 1-based place among the waiting runs.
    pub fn position(&self, run: Uuid) -> Option<usize> {
        self.waiting.iter().position(|(r, _)| *r == run).map(|i| i + 1)
    }

    #[cfg(test)]
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// The runs that may start now (each then holds a slot until `release`).
    pub fn take_startable(&mut self, max_total: usize, max_per_project: usize) -> Vec<Uuid> {
        let mut started = Vec::new();
        let mut i = 0;
        while i < self.waiting.len() && self.running.len() < max_total {
            let (run, project) = self.waiting[i];
            let in_project = self.running.values().filter(|p| **p == project).count();
            if in_project < max_per_project {
                self.waiting.remove(i);
                self.running.insert(run, project);
                started.push(run);
            } else {
                i += 1;
            }
        }
        started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_respected_and_order_is_kept() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let runs: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let mut q = Queue::default();
        for (i, r) in runs.iter().enumerate() {
            q.push(*r, if i < 3 { a } else { b });
        }
        // Global 3, per project 2: a0, a1, then a2 must wait for its project, so b3 passes it.
        assert_eq!(q.take_startable(3, 2), vec![runs[0], runs[1], runs[3]]);
        assert_eq!(q.position(runs[2]), Some(1));
        assert_eq!(q.position(runs[4]), Some(2));
        assert!(q.take_startable(3, 2).is_empty());
        q.release(runs[0]);
        assert_eq!(q.take_startable(3, 2), vec![runs[2]]);
        q.release(runs[3]);
        assert_eq!(q.take_startable(3, 2), vec![runs[4]]);
        assert_eq!(q.waiting(), 0);
    }

    #[test]
    fn a_removed_run_never_starts() {
        let p = Uuid::now_v7();
        let (r1, r2) = (Uuid::now_v7(), Uuid::now_v7());
        let mut q = Queue::default();
        q.push(r1, p);
        q.push(r2, p);
        q.push(r2, p);
        assert!(q.remove(r1));
        assert!(!q.remove(r1));
        assert_eq!(q.take_startable(8, 8), vec![r2]);
    }
}
