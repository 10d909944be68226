package segfile

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// RebaseMoof rewrites, in place, a moof box (header included) so that it can follow other fragments in
// another file: its sequence number becomes seq and every track's decode time becomes
// shift(trackID, old). A tfdt of version 0 that the new time does not fit in is an error.
func RebaseMoof(moof []byte, seq uint32, shift func(trackID uint32, base uint64) uint64) error {
	if len(moof) < 8 || string(moof[4:8]) != "moof" {
		return errors.New("not a moof")
	}
	return eachBox(moof[8:], func(typ string, body []byte) error {
		switch typ {
		case "mfhd":
			if len(body) < 8 {
				return errors.New("short mfhd")
			}
			binary.BigEndian.PutUint32(body[4:], seq)
		case "traf":
			return rebaseTraf(body, shift)
		}
		return nil
	})
}

func rebaseTraf(traf []byte, shift func(uint32, uint64) uint64) error {
	var trackID uint32
	var tfdt []byte
	err := eachBox(traf, func(typ string, body []byte) error {
		switch typ {
		case "tfhd":
			if len(body) < 8 {
				return errors.New("short tfhd")
			}
			trackID = binary.BigEndian.Uint32(body[4:])
		case "tfdt":
			tfdt = body
		}
		return nil
	})
	if err != nil {
		return err
	}
	if tfdt == nil || trackID == 0 {
		return errors.New("traf without tfhd or tfdt")
	}
	if tfdt[0] == 1 {
		if len(tfdt) < 12 {
			return errors.New("short tfdt")
		}
		binary.BigEndian.PutUint64(tfdt[4:], shift(trackID, binary.BigEndian.Uint64(tfdt[4:])))
		return nil
	}
	if len(tfdt) < 8 {
		return errors.New("short tfdt")
	}
	v := shift(trackID, uint64(binary.BigEndian.Uint32(tfdt[4:])))
	if v > 0xffffffff {
		return fmt.Errorf("track %d: decode time %d does not fit a version 0 tfdt", trackID, v)
	}
	binary.BigEndian.PutUint32(tfdt[4:], uint32(v))
	return nil
}
