package segfile

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// maxIovecs is Linux's IOV_MAX: how many buffers one writev takes.
const maxIovecs = 1024

// WritevFile writes buffers to a file with writev, so that a fragment of hundreds of NALUs is one
// syscall, not hundreds, and is never copied into one buffer first.
type WritevFile struct{ *os.File }

// WriteVectors implements VectorWriter; it handles short writes.
func (f WritevFile) WriteVectors(bufs [][]byte) (int64, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var total int64
	var werr error
	for len(bufs) > 0 && werr == nil {
		batch := bufs[:min(len(bufs), maxIovecs)]
		var n int
		err := rc.Write(func(fd uintptr) bool {
			n, werr = unix.Writev(int(fd), batch)
			return werr != unix.EAGAIN
		})
		if err != nil && werr == nil {
			werr = err
		}
		if n > 0 {
			total += int64(n)
		} else if werr == nil {
			werr = io.ErrShortWrite
		}
		bufs = skip(bufs, n)
	}
	return total, werr
}

// skip drops the first n bytes of bufs, cutting into a buffer if n ends inside it. It modifies bufs.
func skip(bufs [][]byte, n int) [][]byte {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if len(bufs) > 0 && n > 0 {
		bufs[0] = bufs[0][n:]
	}
	return bufs
}

// BufferWriter is a VectorWriter appending to a byte slice, for tests and in-memory use.
type BufferWriter struct{ B []byte }

// WriteVectors implements VectorWriter.
func (b *BufferWriter) WriteVectors(bufs [][]byte) (int64, error) {
	var n int64
	for _, p := range bufs {
		b.B = append(b.B, p...)
		n += int64(len(p))
	}
	return n, nil
}
