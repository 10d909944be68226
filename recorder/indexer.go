package recorder

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"vigil/store"
)

// indexer batches what every camera's writer learned into one store transaction about once a second, so
// the index trails the files by at most a second whatever the number of cameras.
type indexer struct {
	store   *store.Store
	log     *slog.Logger
	onFlush func() // test seam: called after each successful flush
	// syncRoot, when set (fsync: fragment), is a folder on the storage filesystem: before a batch that
	// records fragments is committed, the whole filesystem is synced with one syncfs. That makes every
	// fragment durable before the index can point at it, at the cost of one sync per second for all
	// cameras instead of one per camera.
	syncRoot string

	mu      sync.Mutex
	pending store.Batch
	byPath  map[string]int // index into pending.Segments
}

func newIndexer(st *store.Store, log *slog.Logger) *indexer {
	return &indexer{store: st, log: log, byPath: map[string]int{}}
}

// putSegment records the latest state of a segment. The row is copied; its fragment slice is shared but
// capped, so the writer's later appends never touch what the indexer reads.
func (ix *indexer) putSegment(row store.Segment) {
	row.Fragments = row.Fragments[:len(row.Fragments):len(row.Fragments)]
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if i, ok := ix.byPath[row.Path]; ok {
		ix.pending.Segments[i] = &row
		return
	}
	ix.byPath[row.Path] = len(ix.pending.Segments)
	ix.pending.Segments = append(ix.pending.Segments, &row)
}

func (ix *indexer) dropSegment(path string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if i, ok := ix.byPath[path]; ok {
		// never written: forget it, and remove a row an earlier flush may have made
		last := len(ix.pending.Segments) - 1
		ix.pending.Segments[i] = ix.pending.Segments[last]
		ix.byPath[ix.pending.Segments[i].Path] = i
		ix.pending.Segments = ix.pending.Segments[:last]
		delete(ix.byPath, path)
	}
	ix.pending.Dropped = append(ix.pending.Dropped, path)
}

func (ix *indexer) putEvent(e store.Event) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.pending.Events = append(ix.pending.Events, e)
}

// flush writes what is pending. On failure the batch is kept and merged with what comes next.
func (ix *indexer) flush(ctx context.Context) error {
	ix.mu.Lock()
	b := ix.pending
	ix.pending = store.Batch{}
	clear(ix.byPath)
	ix.mu.Unlock()
	if b.Empty() {
		return nil
	}
	if len(b.Segments) > 0 && ix.syncRoot != "" {
		if err := syncFS(ix.syncRoot); err != nil {
			ix.requeue(&b)
			return fmt.Errorf("sync %s: %w", ix.syncRoot, err)
		}
	}
	if err := ix.store.Apply(ctx, &b); err != nil {
		ix.requeue(&b)
		return err
	}
	if ix.onFlush != nil {
		ix.onFlush()
	}
	return nil
}

// requeue puts a failed batch back under anything newer that arrived meanwhile.
func (ix *indexer) requeue(b *store.Batch) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	newer := ix.pending
	ix.pending = *b
	clear(ix.byPath)
	for i, s := range ix.pending.Segments {
		ix.byPath[s.Path] = i
	}
	for _, s := range newer.Segments {
		if i, ok := ix.byPath[s.Path]; ok {
			ix.pending.Segments[i] = s
		} else {
			ix.byPath[s.Path] = len(ix.pending.Segments)
			ix.pending.Segments = append(ix.pending.Segments, s)
		}
	}
	ix.pending.Events = append(ix.pending.Events, newer.Events...)
	ix.pending.Dropped = append(ix.pending.Dropped, newer.Dropped...)
}

func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

func (ix *indexer) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// The flush itself is not cancelled: a batch half-way through its transaction should land; Close
		// writes whatever is left after the loop ends.
		if err := ix.flush(context.Background()); err != nil {
			if !failing {
				ix.log.Error("index write failed; keeping the batch and retrying every tick", "err", err)
			}
			failing = true
		} else if failing {
			ix.log.Info("index writes recovered")
			failing = false
		}
	}
}
