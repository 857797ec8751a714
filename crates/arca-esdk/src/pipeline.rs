//! An ordered pipeline of frame batches, sealed or opened on the caller's thread and, for
//! long bodies, on one helper thread beside it.
//!
//! Frames are independent (each one's IV is its sequence number), so a body can be cut
//! into batches of frames that are processed in any order and on any thread, as long as
//! they are read and written in order. The caller's thread alone reads the input into a
//! batch and writes batches out, strictly in order; either thread seals or opens queued
//! batches, oldest first. The caller's thread never hands work to the helper and then
//! waits for it: it keeps reading, and processes queued batches itself when it has no
//! free buffer, so on a busy machine where the helper gets little CPU the pipeline runs
//! at about one-core speed instead of stalling on the helper. It waits only when every
//! buffer is taken and the oldest batch is in the helper's hands.
//!
//! Memory is the fixed set of buffers handed in, reused from batch to batch. The helper is
//! started only once that many batches are queued at the same time, so a short body
//! never pays for a thread.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::Error;

/// Plaintext bytes per batch: enough frames that the locking and wake-ups of a batch cost
/// little beside its AES-GCM, few enough that the work spreads evenly over two threads
/// and a batch is still in cache when the other thread takes it. (Measured on two idle
/// cores with 4 KiB frames, 128 KiB batches opened about 10% faster than 256 KiB ones.)
pub(crate) const BATCH_BYTES: usize = 128 * 1024;
/// Batches in flight when a helper thread shares the work: one being read, one being
/// written, and enough queued that neither thread runs dry while the other holds the
/// oldest batch; with one thread, one batch does.
pub(crate) const PARALLEL_BUFFERS: usize = 8;
/// How long an idle helper watches for a queued batch before it sleeps: about the time
/// it takes to read a batch, far less than a scheduler's time slice.
const HELPER_WATCH: Duration = Duration::from_micros(50);
/// Frames longer than this are processed one at a time on the caller's thread, so that
/// memory stays bounded by one frame rather than by [`PARALLEL_BUFFERS`] of them.
pub(crate) const MAX_PARALLEL_FRAME: usize = 1 << 20;

/// Frames per batch for frames whose slot (content plus framing) is `slot` bytes.
pub(crate) fn frames_per_batch(slot: usize) -> usize {
    (BATCH_BYTES / slot.max(1)).max(1)
}

/// Whether a body of `frame_length`-byte frames should be processed on two threads:
/// the caller asked for it, the frames are small enough, and a second core exists.
pub(crate) fn worth_two_threads(requested: bool, frame_length: usize) -> bool {
    requested && frame_length <= MAX_PARALLEL_FRAME && spare_core()
}

/// Whether this process may run on more than one core. Asked once: the answer reads
/// the scheduler affinity and cgroup quota, too slow to repeat for every small message.
pub(crate) fn spare_core() -> bool {
    static SPARE_CORE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SPARE_CORE.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

/// What filling a batch found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filled {
    /// The batch is full and the input may go on.
    More,
    /// The input ended in (or right after) this batch.
    Last,
    /// The input had nothing left for this batch; it is discarded.
    Empty,
}

/// The three stages of a pipeline over batches of type `B`.
pub(crate) trait Stages<B> {
    /// Reads the next batch from the input (caller's thread, in order).
    fn fill(&mut self, batch: &mut B) -> Result<Filled, Error>;
    /// Writes a processed batch out (caller's thread, in order).
    fn drain(&mut self, batch: &mut B) -> Result<(), Error>;
}

/// Runs `stages` over `buffers` until the input ends, an error occurs or a batch fails
/// `process`. With `parallel`, a helper thread shares the processing once
/// `buffers.len()` batches are waiting; `process` is what both threads run.
pub(crate) fn run<B, S, P>(
    buffers: Vec<B>,
    stages: &mut S,
    process: &P,
    parallel: bool,
) -> Result<(), Error>
where
    B: Send,
    S: Stages<B>,
    P: Fn(&mut B) -> Result<(), Error> + Sync,
{
    let shared = Shared {
        state: Mutex::new(State {
            queued: VecDeque::with_capacity(buffers.len()),
            processed: VecDeque::with_capacity(buffers.len()),
            first_unwritten: 0,
            closed: false,
            helper_gone: false,
            helper_waiting: false,
            caller_waiting: false,
        }),
        helper_wakeup: Condvar::new(),
        queued_hint: AtomicUsize::new(0),
        caller_wakeup: Condvar::new(),
    };
    std::thread::scope(|scope| {
        let result = drive(&shared, buffers, stages, process, parallel, || {
            scope.spawn(|| help(&shared, process));
        });
        // Whatever happened, let the helper (if any) finish its batch and return; the
        // scope joins it.
        if let Ok(mut state) = shared.state.lock() {
            state.closed = true;
            state.queued.clear();
        }
        shared.helper_wakeup.notify_one();
        result
    })
}

/// A batch's place in the body, counted from 0.
type Order = u64;

struct Shared<B> {
    state: Mutex<State<B>>,
    /// `state.queued.len()`, readable without the lock, so that an idle helper can watch
    /// for work for a moment before it goes to sleep.
    queued_hint: AtomicUsize,
    /// Signalled when a batch is queued or the pipeline closes.
    helper_wakeup: Condvar,
    /// Signalled when a batch is processed or the helper stops.
    caller_wakeup: Condvar,
}

struct State<B> {
    /// Filled batches waiting to be processed, oldest first.
    queued: VecDeque<(Order, B)>,
    /// Slots for batches `first_unwritten..`, filled in as processing finishes (in any
    /// order), emptied in order by the caller.
    processed: VecDeque<Option<(B, Result<(), Error>)>>,
    first_unwritten: Order,
    /// No more batches will be queued; the helper returns.
    closed: bool,
    /// The helper returned (normally or not), so it will process nothing more.
    helper_gone: bool,
    helper_waiting: bool,
    caller_waiting: bool,
}

impl<B> State<B> {
    fn store(&mut self, order: Order, batch: B, result: Result<(), Error>) -> Result<(), Error> {
        let slot = order
            .checked_sub(self.first_unwritten)
            .and_then(|index| usize::try_from(index).ok())
            .and_then(|index| self.processed.get_mut(index))
            .ok_or_else(broken)?;
        *slot = Some((batch, result));
        Ok(())
    }
}

fn lock<B>(shared: &Shared<B>) -> Result<MutexGuard<'_, State<B>>, Error> {
    shared.state.lock().map_err(|_| broken())
}

fn broken() -> Error {
    Error::Io(std::io::Error::other("the frame pipeline lost a batch"))
}

/// The caller's side: fill, process what is queued, write out in order.
fn drive<B, S, P>(
    shared: &Shared<B>,
    mut free: Vec<B>,
    stages: &mut S,
    process: &P,
    parallel: bool,
    spawn_helper: impl FnOnce(),
) -> Result<(), Error>
where
    S: Stages<B>,
    P: Fn(&mut B) -> Result<(), Error>,
{
    let buffers = free.len();
    let mut spawn_helper = Some(spawn_helper).filter(|_| parallel && buffers > 1);
    let mut next_order: Order = 0;
    let mut input_ended = false;
    let mut state = lock(shared)?;
    loop {
        // Write out every batch that is next in line and processed.
        while let Some(Some(_)) = state.processed.front() {
            let Some(Some((mut batch, result))) = state.processed.pop_front() else {
                return Err(broken());
            };
            state.first_unwritten += 1;
            drop(state);
            result?;
            stages.drain(&mut batch)?;
            free.push(batch);
            state = lock(shared)?;
        }
        if !input_ended && let Some(mut batch) = free.pop() {
            drop(state);
            let filled = stages.fill(&mut batch)?;
            state = lock(shared)?;
            input_ended = filled != Filled::More;
            if filled == Filled::Empty {
                free.push(batch);
                continue;
            }
            state.queued.push_back((next_order, batch));
            shared.queued_hint.store(state.queued.len(), Ordering::Relaxed);
            state.processed.push_back(None);
            next_order += 1;
            if state.queued.len() >= buffers
                && let Some(spawn) = spawn_helper.take()
            {
                spawn();
            }
            if state.helper_waiting {
                shared.helper_wakeup.notify_one();
            }
            continue;
        }
        if let Some((order, mut batch)) = state.queued.pop_front() {
            shared.queued_hint.store(state.queued.len(), Ordering::Relaxed);
            drop(state);
            let result = process(&mut batch);
            state = lock(shared)?;
            state.store(order, batch, result)?;
            continue;
        }
        if state.processed.is_empty() {
            return Ok(());
        }
        // The oldest batch is with the helper; nothing else can be done until it is back.
        if state.helper_gone {
            return Err(broken());
        }
        state.caller_waiting = true;
        state = shared.caller_wakeup.wait(state).map_err(|_| broken())?;
        state.caller_waiting = false;
    }
}

/// The helper's side: process queued batches until the pipeline closes.
fn help<B, P>(shared: &Shared<B>, process: &P)
where
    P: Fn(&mut B) -> Result<(), Error>,
{
    /// Tells the caller the helper is gone, however it leaves (even by unwinding), so the
    /// caller never waits for a batch that will not come back.
    struct Departure<'a, B>(&'a Shared<B>);
    impl<B> Drop for Departure<'_, B> {
        fn drop(&mut self) {
            if let Ok(mut state) = self.0.state.lock() {
                state.helper_gone = true;
            }
            self.0.caller_wakeup.notify_one();
        }
    }
    let _departure = Departure(shared);
    let Ok(mut state) = shared.state.lock() else {
        return;
    };
    loop {
        if let Some((order, mut batch)) = state.queued.pop_front() {
            shared.queued_hint.store(state.queued.len(), Ordering::Relaxed);
            drop(state);
            let result = process(&mut batch);
            let Ok(relocked) = shared.state.lock() else {
                return;
            };
            state = relocked;
            if state.store(order, batch, result).is_err() {
                return;
            }
            if state.caller_waiting {
                shared.caller_wakeup.notify_one();
            }
            continue;
        }
        if state.closed {
            return;
        }
        // The caller usually queues the next batch within microseconds; a sleep and
        // wake-up would cost more than the wait, so watch for a moment first.
        drop(state);
        let watch_start = Instant::now();
        while shared.queued_hint.load(Ordering::Relaxed) == 0
            && watch_start.elapsed() < HELPER_WATCH
        {
            // On a busy machine the caller may be waiting for this very core.
            std::thread::yield_now();
        }
        let Ok(relocked) = shared.state.lock() else {
            return;
        };
        state = relocked;
        if !state.queued.is_empty() || state.closed {
            continue;
        }
        state.helper_waiting = true;
        let Ok(woken) = shared.helper_wakeup.wait(state) else {
            return;
        };
        state = woken;
        state.helper_waiting = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers 0..total in batches of `per_batch`; processing doubles them; draining
    /// collects them. `fail_at` makes processing fail for the batch holding that number.
    struct Counting {
        next: u64,
        total: u64,
        per_batch: u64,
        out: Vec<u64>,
    }

    impl Stages<Vec<u64>> for Counting {
        fn fill(&mut self, batch: &mut Vec<u64>) -> Result<Filled, Error> {
            batch.clear();
            while batch.len() < self.per_batch as usize && self.next < self.total {
                batch.push(self.next);
                self.next += 1;
            }
            Ok(match (batch.is_empty(), self.next < self.total) {
                (true, _) => Filled::Empty,
                (false, true) => Filled::More,
                (false, false) => Filled::Last,
            })
        }

        fn drain(&mut self, batch: &mut Vec<u64>) -> Result<(), Error> {
            self.out.extend_from_slice(batch);
            Ok(())
        }
    }

    fn check(total: u64, per_batch: u64, buffers: usize, parallel: bool, fail_at: Option<u64>) {
        let mut stages = Counting { next: 0, total, per_batch, out: Vec::new() };
        let process = |batch: &mut Vec<u64>| {
            if fail_at.is_some_and(|fail| batch.contains(&fail)) {
                return Err(Error::DecryptionFailed);
            }
            batch.iter_mut().for_each(|n| *n *= 2);
            Ok(())
        };
        let result = run(vec![Vec::new(); buffers], &mut stages, &process, parallel);
        let expected_len = match fail_at {
            // Batches before the failing one are written, nothing from it onwards.
            Some(fail) => fail / per_batch * per_batch,
            None => total,
        };
        assert_eq!(result.is_err(), fail_at.is_some(), "{total} {per_batch} {buffers}");
        assert_eq!(stages.out, (0..expected_len).map(|n| n * 2).collect::<Vec<_>>());
    }

    #[test]
    fn batches_come_out_in_order() {
        for parallel in [false, true] {
            for buffers in [1, 2, 4] {
                for (total, per_batch) in [(0, 3), (1, 3), (3, 3), (4, 3), (1000, 7), (10_000, 64)]
                {
                    check(total, per_batch, buffers, parallel, None);
                }
            }
        }
    }

    #[test]
    fn a_failed_batch_stops_the_output_before_it() {
        for parallel in [false, true] {
            for fail_at in [0, 5, 500, 9_999] {
                check(10_000, 16, 4, parallel, Some(fail_at));
            }
        }
    }

    #[test]
    fn the_helper_starts_only_once_every_buffer_is_queued() {
        for (total, helper_expected) in [(8 * 3 - 1, false), (8 * 4, true)] {
            let caller = std::thread::current().id();
            let threads = Mutex::new(std::collections::HashSet::new());
            let process = |_: &mut Vec<u64>| {
                threads.lock().unwrap().insert(std::thread::current().id());
                // When a helper should exist, hold the caller's first batch until the
                // helper has taken one, however slowly it is scheduled.
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
                while helper_expected
                    && std::thread::current().id() == caller
                    && threads.lock().unwrap().len() < 2
                    && std::time::Instant::now() < deadline
                {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                Ok(())
            };
            let mut stages = Counting { next: 0, total, per_batch: 8, out: Vec::new() };
            run(vec![Vec::new(); 4], &mut stages, &process, true).unwrap();
            let threads = threads.into_inner().unwrap();
            assert_eq!(threads.len() > 1, helper_expected, "{total} numbers");
        }
    }

    #[test]
    fn fill_and_drain_errors_end_the_run() {
        struct Failing(u32);
        impl Stages<u8> for Failing {
            fn fill(&mut self, _: &mut u8) -> Result<Filled, Error> {
                self.0 += 1;
                if self.0 == 20 { Err(Error::Crypto) } else { Ok(Filled::More) }
            }
            fn drain(&mut self, _: &mut u8) -> Result<(), Error> {
                Ok(())
            }
        }
        let result = run(vec![0u8; 4], &mut Failing(0), &|_: &mut u8| Ok(()), true);
        assert!(matches!(result, Err(Error::Crypto)));
    }
}
