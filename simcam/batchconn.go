package simcam

import (
	"net"
	"sync"
	"time"
)

// gortsplib writes every interleaved RTP packet to the socket on its own,
// one write(2) per ~1.4 KB. With a few hundred cameras being read that
// syscall rate is most of the simulator's CPU, so connections are wrapped to
// gather whatever the session writer queues while the previous write is in
// the kernel and hand it over in one call. An idle connection still sends
// each write at once: batching only happens under load, adding no latency.

// maxBatch bounds the bytes waiting for the socket; past it Write blocks, so
// a slow reader still backs up into gortsplib's queue as it would unwrapped.
const maxBatch = 256 << 10

// closeFlushTimeout bounds how long Close spends delivering what is still
// pending, such as the 401 gortsplib writes just before dropping a client.
const closeFlushTimeout = 500 * time.Millisecond

type batchListener struct {
	net.Listener
}

func (l batchListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &batchConn{
		Conn:   nc,
		kick:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	c.cond.L = &c.mu
	go c.flushLoop()
	return c, nil
}

type batchConn struct {
	net.Conn

	mu        sync.Mutex
	cond      sync.Cond // signalled when pending shrinks or err is set
	pending   []byte
	err       error
	kick      chan struct{}
	done      chan struct{} // closed by Close: flush what is left and exit
	exited    chan struct{}
	closeOnce sync.Once
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	for c.err == nil && len(c.pending) > 0 && len(c.pending)+len(p) > maxBatch {
		c.cond.Wait()
	}
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, err
	}
	c.pending = append(c.pending, p...)
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (c *batchConn) flushLoop() {
	defer close(c.exited)
	var out []byte
	for {
		closing := false
		select {
		case <-c.kick:
		case <-c.done:
			closing = true
		}
		c.mu.Lock()
		out, c.pending = c.pending, out[:0]
		c.cond.Broadcast()
		c.mu.Unlock()
		if len(out) > 0 {
			// Write deadlines set by gortsplib apply to the underlying
			// conn, so a reader that stops reading still times out here.
			if _, err := c.Conn.Write(out); err != nil {
				c.fail(err)
				return
			}
		}
		if closing {
			return
		}
	}
}

func (c *batchConn) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.cond.Broadcast()
	c.mu.Unlock()
}

func (c *batchConn) Close() error {
	c.closeOnce.Do(func() {
		c.Conn.SetWriteDeadline(time.Now().Add(closeFlushTimeout))
		// Refuse further writes first, so the final flush sees everything.
		c.fail(net.ErrClosed)
		close(c.done)
		<-c.exited
	})
	return c.Conn.Close()
}
