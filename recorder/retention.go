package recorder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"

	"vigil/store"
)

// RetentionReport says what one retention pass deleted.
type RetentionReport struct {
	ByAge        int
	ByQuota      int
	FreedBytes   int64
	UsedBytes    int64 // after the pass
	LimitBytes   int64 // the quota in force (0 = none)
	FreeBytes    int64 // free space on the storage filesystem after the pass
	ReserveBytes int64
}

// The free space kept whatever the quota says, so that a quota set too high (or other files growing on
// the same disk) never fills it: reserveFraction of the filesystem, or what the cameras write in
// reserveWindow at the rate seen since the last pass, whichever is more.
const (
	reserveFraction = 0.02
	reserveWindow   = 5 * time.Minute
)

// deleteBatch is how many segments one quota step dooms at a time.
const deleteBatch = 64

// retentionState serializes passes (the schedule and a full disk can both ask for one) and remembers the
// last one, to measure how fast the cameras fill the disk.
type retentionState struct {
	mu        sync.Mutex
	lastAt    time.Time
	lastBytes uint64
	urgent    chan struct{} // a camera hit a full disk: run a pass now
	passes    atomic.Int64
}

func (r *Recorder) startRetention(ctx context.Context) error {
	r.retention.urgent = make(chan struct{}, 1)
	r.cron = cron.New()
	if _, err := r.cron.AddFunc(r.Config.Retention.Schedule, r.retentionPass); err != nil {
		return fmt.Errorf("retention schedule %q: %w", r.Config.Retention.Schedule, err)
	}
	r.cron.Start()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-r.retention.urgent:
				r.retentionPass()
			}
		}
	}()
	return nil
}

func (r *Recorder) retentionPass() {
	r.retention.passes.Add(1)
	log := r.log.With("component", "retention")
	rep, err := r.EnforceRetention(context.Background())
	if err != nil {
		log.Error("retention pass failed", "err", err)
		return
	}
	if rep.ByAge+rep.ByQuota > 0 {
		log.Info("retention pass", "by_age", rep.ByAge, "by_quota", rep.ByQuota, "freed_bytes", rep.FreedBytes,
			"used_bytes", rep.UsedBytes, "limit_bytes", rep.LimitBytes, "reserve_bytes", rep.ReserveBytes)
	}
}

// retentionNow asks for a pass at once (a write failed for lack of space); it never blocks.
func (r *Recorder) retentionNow() {
	select {
	case r.retention.urgent <- struct{}{}:
	default:
	}
}

// writeRateReserve is what the cameras write in reserveWindow at the rate seen since the last pass.
func (r *Recorder) writeRateReserve(now time.Time) int64 {
	var written uint64
	for _, c := range r.cameras {
		written += c.bytes.Load()
	}
	st := &r.retention
	reserve := int64(0)
	if !st.lastAt.IsZero() && now.After(st.lastAt) && written >= st.lastBytes {
		rate := float64(written-st.lastBytes) / now.Sub(st.lastAt).Seconds()
		reserve = int64(rate * reserveWindow.Seconds())
	}
	st.lastAt, st.lastBytes = now, written
	return reserve
}

// EnforceRetention deletes, oldest first, the finished segments that are past their camera's maximum age,
// then as many more as the quota and the free-space reserve need. A segment being written is never touched.
func (r *Recorder) EnforceRetention(ctx context.Context) (*RetentionReport, error) {
	r.retention.mu.Lock()
	defer r.retention.mu.Unlock()
	rep := &RetentionReport{}
	root := r.Config.Storage.Path
	now := r.now().UnixNano()
	rateReserve := r.writeRateReserve(time.Now())
	cams, err := r.Store.CameraIDs(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range cams {
		maxAge := r.Config.Retention.MaxAge
		for _, c := range r.Config.Cameras {
			if c.ID == id && c.MaxAge > 0 {
				maxAge = c.MaxAge
			}
		}
		if maxAge <= 0 {
			continue
		}
		refs, err := r.Store.FinishedBefore(ctx, id, now-int64(maxAge))
		if err != nil {
			return nil, err
		}
		freed, err := deleteSegments(ctx, r.Store, root, refs)
		rep.ByAge += len(refs)
		rep.FreedBytes += freed
		if err != nil {
			return rep, err
		}
	}

	total, free, err := diskSpace(root)
	if err != nil {
		return rep, err
	}
	q := r.Config.Retention.Quota
	rep.LimitBytes = q.Bytes
	if q.Percent > 0 {
		rep.LimitBytes = int64(float64(total) * q.Percent / 100)
	}
	rep.ReserveBytes = max(int64(float64(total)*reserveFraction), rateReserve)
	used, err := r.Store.TotalBytes(ctx)
	if err != nil {
		return rep, err
	}
	for {
		over := int64(0)
		if rep.LimitBytes > 0 {
			over = used - rep.LimitBytes
		}
		over = max(over, rep.ReserveBytes-free)
		if over <= 0 {
			break
		}
		refs, err := r.Store.Oldest(ctx, deleteBatch)
		if err != nil {
			return rep, err
		}
		// Take only as many as needed; at least one so every step makes progress.
		n, sum := 0, int64(0)
		for n < len(refs) && sum < over {
			sum += refs[n].Bytes
			n++
		}
		if n == 0 {
			break // nothing finished to delete: only segments being written are left
		}
		freed, err := deleteSegments(ctx, r.Store, root, refs[:n])
		rep.ByQuota += n
		rep.FreedBytes += freed
		used -= freed
		free += freed
		if err != nil {
			return rep, err
		}
		if freed == 0 {
			break // what was listed is no longer there to delete: stop rather than spin
		}
	}
	rep.UsedBytes, rep.FreeBytes = used, free
	return rep, nil
}

// deleteSegments removes segments so that a crash at any point leaves no row without its file: the rows go
// and the intents are written in one transaction, then the files are unlinked, then the intents dropped.
func deleteSegments(ctx context.Context, st *store.Store, root string, refs []store.SegmentRef) (int64, error) {
	if len(refs) == 0 {
		return 0, nil
	}
	paths := make([]string, len(refs))
	size := map[string]int64{}
	for i, ref := range refs {
		paths[i] = ref.Path
		size[ref.Path] = ref.Bytes
	}
	paths, err := st.Doom(ctx, paths)
	if err != nil {
		return 0, err
	}
	var bytes int64
	for _, p := range paths {
		bytes += size[p]
	}
	for _, p := range paths {
		abs := filepath.Join(root, p)
		if err := os.Remove(abs); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return bytes, err
		}
		// An emptied date folder goes too; Remove fails harmlessly on one that still has files.
		os.Remove(filepath.Dir(abs))
	}
	return bytes, st.ForgetDoomed(ctx, paths)
}

// diskSpace returns the total and available bytes of the filesystem holding path.
func diskSpace(path string) (total, free int64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return int64(st.Blocks) * st.Bsize, int64(st.Bavail) * st.Bsize, nil
}
