package survey

import (
	"math"
	"slices"
	"time"
)

// measurement accumulates what arrives during the window. Its methods are called under prober.mu
// while the client runs, and by the prober alone once the client is closed.
type measurement struct {
	start        time.Time // just before PLAY
	videoPackets int
	lastVideo    time.Time // arrival of the latest video packet
	maxGap       time.Duration
	bytes        int64
	lost         uint64

	pts       []int64 // presentation times of the frames, 90 kHz, in arrival (decode) order
	frames    int
	keyframes int

	firstKeyAt, lastKeyAt time.Time // arrival of the first and latest keyframes
	lastKeyIndex          int       // frame number of the latest keyframe
	lastKeyPTS            int64
	gopFrames             int   // the longest complete keyframe interval, in frames
	gopTicks              int64 // and in 90 kHz ticks

	bandSPS []byte // the latest SPS seen in the stream
}

// videoArrived notes a video packet: its bytes, and the pause since the previous one, which is what
// continuity is judged on. Any packet counts, even before the first keyframe: the camera is sending.
func (m *measurement) videoArrived(now time.Time, size int) {
	prev := m.lastVideo
	if m.videoPackets == 0 {
		prev = m.start
	}
	m.maxGap = max(m.maxGap, now.Sub(prev))
	m.lastVideo = now
	m.videoPackets++
	m.bytes += int64(size)
}

// frame notes one decoded access unit: its timestamp for the frame rate, and keyframe intervals for the
// GOP. Intervals are counted in decode order, which is arrival order, so B-frames do not disturb them.
func (m *measurement) frame(at time.Time, pts int64, key bool) {
	if len(m.pts) < maxFrameTimes {
		m.pts = append(m.pts, pts)
	}
	index := m.frames
	m.frames++
	if !key {
		return
	}
	if m.keyframes == 0 {
		m.firstKeyAt = at
	} else if ticks := pts - m.lastKeyPTS; ticks > m.gopTicks {
		m.gopTicks, m.gopFrames = ticks, index-m.lastKeyIndex
	}
	m.keyframes++
	m.lastKeyAt, m.lastKeyIndex, m.lastKeyPTS = at, index, pts
}

// finish writes the measurement into st for a window that ended at end.
func (m *measurement) finish(st *Stream, end time.Time, vt *videoTrack) {
	if m.start.IsZero() {
		return
	}
	window := end.Sub(m.start)
	st.Window = seconds(window)
	last := m.lastVideo
	if m.videoPackets == 0 {
		last = m.start
	}
	st.MaxStall = seconds(max(m.maxGap, end.Sub(last)))
	st.Bytes, st.PacketsLost = m.bytes, m.lost
	if window > 0 {
		st.Bitrate = int64(math.Round(float64(m.bytes) * 8 / window.Seconds()))
	}
	st.Frames, st.Keyframes = m.frames, m.keyframes
	st.FPS = round(measuredFPS(m.pts), 2)
	m.finishGOP(st, end)
	if vt != nil {
		sps := m.bandSPS
		if sps == nil {
			sps = vt.sdpSPS
		}
		if sps != nil {
			// A broken SPS leaves profile and resolution unknown, which the assessment reports.
			_ = vt.parseSPS(sps, st)
		}
	}
}

// finishGOP reports the longest complete keyframe interval. With fewer than two keyframes there is
// none, and the longest stretch seen without one (before the first, after the last, or the whole
// window) is a lower bound: enough to fail a maximum, never to pass one.
func (m *measurement) finishGOP(st *Stream, end time.Time) {
	if m.keyframes >= 2 {
		st.GOPFrames = m.gopFrames
		st.GOPSeconds = round(float64(m.gopTicks)/videoClockRate, 3)
		return
	}
	st.GOPOpen = true
	bound := end.Sub(m.start)
	if m.keyframes == 1 {
		bound = max(m.firstKeyAt.Sub(m.start), end.Sub(m.lastKeyAt))
	}
	st.GOPSeconds = seconds(bound)
}

// measuredFPS is the frame rate from the typical interval between presentation times: sorting undoes
// B-frame reordering, and the median ignores a frame lost here and there and the window's ragged edges.
func measuredFPS(pts []int64) float64 {
	if len(pts) < 2 {
		return 0
	}
	sorted := slices.Clone(pts)
	slices.Sort(sorted)
	deltas := make([]int64, 0, len(sorted)-1)
	for i := 1; i < len(sorted); i++ {
		if d := sorted[i] - sorted[i-1]; d > 0 {
			deltas = append(deltas, d)
		}
	}
	if len(deltas) == 0 {
		return 0
	}
	slices.Sort(deltas)
	return videoClockRate / float64(deltas[len(deltas)/2])
}

func seconds(d time.Duration) float64 { return round(d.Seconds(), 3) }

func round(v float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(v*p) / p
}
