//! A bounded single-producer single-consumer ring plus an eventfd waker: the hand-written hop
//! candidate measured by `ferrokv-bench hop`.
//!
//! The waker belongs to the consuming *thread*, not to a ring, so that one thread can sleep on
//! every ring that feeds it (as a shard would, with the eventfd registered in its io_uring).
//! The sleep protocol is Dekker-style: the consumer announces `sleeping`, fences, and checks its
//! rings again before it blocks; a producer publishes, fences, and writes the eventfd only if it
//! is the one that clears `sleeping`. No wake-up is lost and an awake consumer costs producers
//! no syscall.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Keeps hot atomics on their own cache lines (128: adjacent-line prefetch on x86).
#[repr(align(128))]
struct Padded<T>(T);

/// One thread's doorbell.
pub struct Waker {
    sleeping: Padded<AtomicBool>,
    efd: OwnedFd,
}

impl Waker {
    pub fn new() -> std::io::Result<Arc<Waker>> {
        // SAFETY: eventfd has no memory preconditions; the fd is checked before use.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Arc::new(Waker {
            sleeping: Padded(AtomicBool::new(false)),
            // SAFETY: fd is a fresh eventfd that nothing else owns.
            efd: unsafe { OwnedFd::from_raw_fd(fd) },
        }))
    }

    /// Called by a producer after publishing: wakes the consumer if it is (about to be) asleep.
    pub fn notify(&self) {
        fence(Ordering::SeqCst);
        if self.sleeping.0.load(Ordering::Relaxed) && self.sleeping.0.swap(false, Ordering::AcqRel)
        {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a valid u64 to our own eventfd.
            unsafe {
                libc::write(
                    self.efd.as_raw_fd(),
                    (&one as *const u64).cast(),
                    std::mem::size_of::<u64>(),
                )
            };
        }
    }

    /// Called by the consumer when `ready()` is false: spins while `ready()` is false for at
    /// most `spin`, then sleeps on the eventfd until a producer notifies. Returns early as soon
    /// as `ready()` holds.
    pub fn wait(&self, spin: Duration, mut ready: impl FnMut() -> bool) {
        if !spin.is_zero() {
            let start = Instant::now();
            let mut i = 0u32;
            loop {
                if ready() {
                    return;
                }
                std::hint::spin_loop();
                i = i.wrapping_add(1);
                if i & 63 == 0 && start.elapsed() >= spin {
                    break;
                }
            }
        }
        loop {
            self.sleeping.0.store(true, Ordering::SeqCst);
            fence(Ordering::SeqCst);
            if ready() {
                // If a producer already cleared the flag it has written (or will write) the
                // eventfd; the stale count only costs one spurious wake-up later.
                self.sleeping.0.store(false, Ordering::Relaxed);
                return;
            }
            let mut count: u64 = 0;
            // SAFETY: reads 8 bytes into a valid u64 from our own eventfd.
            unsafe {
                libc::read(
                    self.efd.as_raw_fd(),
                    (&mut count as *mut u64).cast(),
                    std::mem::size_of::<u64>(),
                )
            };
            self.sleeping.0.store(false, Ordering::Relaxed);
            if ready() {
                return;
            }
        }
    }
}

struct Ring<T> {
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
    mask: usize,
    /// Next slot the consumer reads.
    head: Padded<AtomicUsize>,
    /// Next slot the producer writes.
    tail: Padded<AtomicUsize>,
}

// SAFETY: a slot is written only by the single producer before it publishes `tail`, and read
// only by the single consumer after it observes `tail` (and before it publishes `head`).
unsafe impl<T: Send> Sync for Ring<T> {}
unsafe impl<T: Send> Send for Ring<T> {}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        let head = *self.head.0.get_mut();
        let tail = *self.tail.0.get_mut();
        for i in head..tail {
            // SAFETY: slots in head..tail were written and never read.
            unsafe { (*self.slots[i & self.mask].get()).assume_init_drop() };
        }
    }
}

pub struct Producer<T> {
    ring: Arc<Ring<T>>,
    waker: Arc<Waker>,
    tail: usize,
    cached_head: usize,
    unnotified: bool,
}

pub struct Consumer<T> {
    ring: Arc<Ring<T>>,
    head: usize,
    cached_tail: usize,
}

/// A ring of `capacity` (rounded up to a power of two) whose consumer sleeps on `waker`.
pub fn channel<T: Send>(capacity: usize, waker: Arc<Waker>) -> (Producer<T>, Consumer<T>) {
    let cap = capacity.max(2).next_power_of_two();
    let slots = (0..cap)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect::<Vec<_>>()
        .into_boxed_slice();
    let ring = Arc::new(Ring {
        slots,
        mask: cap - 1,
        head: Padded(AtomicUsize::new(0)),
        tail: Padded(AtomicUsize::new(0)),
    });
    (
        Producer {
            ring: ring.clone(),
            waker,
            tail: 0,
            cached_head: 0,
            unnotified: false,
        },
        Consumer {
            ring,
            head: 0,
            cached_tail: 0,
        },
    )
}

impl<T: Send> Producer<T> {
    /// Publishes `v` without waking anyone; call [`Producer::flush`] after a batch.
    pub fn push(&mut self, v: T) -> Result<(), T> {
        let cap = self.ring.mask + 1;
        if self.tail - self.cached_head == cap {
            self.cached_head = self.ring.head.0.load(Ordering::Acquire);
            if self.tail - self.cached_head == cap {
                return Err(v);
            }
        }
        // SAFETY: the slot is free (the consumer has moved past it) and only we write it.
        unsafe { (*self.ring.slots[self.tail & self.ring.mask].get()).write(v) };
        self.tail += 1;
        self.ring.tail.0.store(self.tail, Ordering::Release);
        self.unnotified = true;
        Ok(())
    }

    /// Wakes the consumer if anything was pushed since the last flush and it sleeps.
    pub fn flush(&mut self) {
        if self.unnotified {
            self.unnotified = false;
            self.waker.notify();
        }
    }
}

impl<T: Send> Consumer<T> {
    pub fn pop(&mut self) -> Option<T> {
        if self.head == self.cached_tail {
            self.cached_tail = self.ring.tail.0.load(Ordering::Acquire);
            if self.head == self.cached_tail {
                return None;
            }
        }
        // SAFETY: head < tail, so the producer wrote this slot and published it.
        let v = unsafe { (*self.ring.slots[self.head & self.ring.mask].get()).assume_init_read() };
        self.head += 1;
        self.ring.head.0.store(self.head, Ordering::Release);
        Some(v)
    }

    /// Whether anything is waiting (a fresh look at the producer's index).
    pub fn is_ready(&self) -> bool {
        self.head != self.ring.tail.0.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_and_full() {
        let w = Waker::new().unwrap();
        let (mut p, mut c) = channel::<u32>(4, w);
        for i in 0..4 {
            p.push(i).unwrap();
        }
        assert_eq!(p.push(9), Err(9));
        assert_eq!(c.pop(), Some(0));
        p.push(4).unwrap();
        p.flush();
        let got: Vec<u32> = std::iter::from_fn(|| c.pop()).collect();
        assert_eq!(got, vec![1, 2, 3, 4]);
        assert!(!c.is_ready());
    }

    #[test]
    fn drops_unread() {
        let w = Waker::new().unwrap();
        let v = Arc::new(());
        {
            let (mut p, _c) = channel::<Arc<()>>(8, w);
            p.push(v.clone()).unwrap();
            p.push(v.clone()).unwrap();
            assert_eq!(Arc::strong_count(&v), 3);
        }
        assert_eq!(Arc::strong_count(&v), 1);
    }

    #[test]
    fn cross_thread_sleep_wake() {
        let w = Waker::new().unwrap();
        let (mut p, mut c) = channel::<u64>(16, w.clone());
        const N: u64 = 100_000;
        let t = std::thread::spawn(move || {
            let mut sum = 0;
            let mut n = 0;
            while n < N {
                match c.pop() {
                    Some(v) => {
                        sum += v;
                        n += 1;
                    }
                    None => w.wait(Duration::ZERO, || c.is_ready()),
                }
            }
            sum
        });
        for i in 0..N {
            let mut v = i;
            loop {
                match p.push(v) {
                    Ok(()) => break,
                    Err(back) => {
                        v = back;
                        p.flush();
                        std::thread::yield_now();
                    }
                }
            }
            if i % 7 == 0 {
                p.flush();
            }
        }
        p.flush();
        assert_eq!(t.join().unwrap(), N * (N - 1) / 2);
    }
}
