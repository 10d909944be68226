package auth

import (
	"net"
	"sync"
	"time"
)

// failureLog counts recent failures per key (a client address, a user name that does not exist), in
// memory and bounded: a scan from many addresses must not grow it without end, nor make every sign-in
// slower.
type failureLog struct {
	mu        sync.Mutex
	byKey     map[string][]time.Time // oldest first
	lastSweep time.Time
}

// maxFailureKeys bounds the keys kept; beyond it expired keys are swept (at most once a second) and, if
// that is not enough, arbitrary keys are forgotten.
const maxFailureKeys = 20000

// recent is key's failures within window, oldest first.
func (f *failureLog) recent(key string, now time.Time, window time.Duration) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.prune(key, now, window)
}

// add records a failure of key and returns its failures within window, this one included.
func (f *failureLog) add(key string, now time.Time, window time.Duration) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byKey == nil {
		f.byKey = map[string][]time.Time{}
	}
	fails := append(f.prune(key, now, window), now)
	f.byKey[key] = fails
	if len(f.byKey) > maxFailureKeys && now.Sub(f.lastSweep) >= time.Second {
		f.sweep(now, window)
	}
	return fails
}

// prune drops key's failures older than window. f.mu is held.
func (f *failureLog) prune(key string, now time.Time, window time.Duration) []time.Time {
	fails := f.byKey[key]
	i := 0
	for i < len(fails) && now.Sub(fails[i]) >= window {
		i++
	}
	fails = fails[i:]
	if len(fails) == 0 {
		delete(f.byKey, key)
	}
	return fails
}

func (f *failureLog) sweep(now time.Time, window time.Duration) {
	f.lastSweep = now
	for key := range f.byKey {
		f.prune(key, now, window)
	}
	for key := range f.byKey {
		if len(f.byKey) <= maxFailureKeys*9/10 {
			break
		}
		delete(f.byKey, key) // map order is random: no key can count on staying
	}
}

// addressKey is what the per-address limit counts by: an IPv4 address, or an IPv6 address's /64, since one
// machine commonly holds a whole /64 and could otherwise take a new address for every guess.
func addressKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return addr
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
