#!/bin/sh
# Regenerates the simcam test clips. The output is committed; rerun only when
# the clips' specification changes (keep each file under 400 KB).
#
# All clips are MPEG-TS because that is what simcam.LoadClip parses (via
# mediacommon's mpegts reader), and 640x360@25 for 4 s = exactly 100 frames,
# so a loop seam is reached quickly in tests.
#
# Video is testsrc2: it moves and carries a frame counter, which makes
# stalls, duplicates and loop seams visible when a recording is inspected.
# GOPs are closed and exactly 1 s long (-g 25 -keyint_min 25, no scene-cut
# keyframes), so every loop starts on an IDR and a reader gets a keyframe
# within a second of joining. Parameter sets are repeated in-band before every
# keyframe: libx264 does that by default when the muxer wants no global header
# (MPEG-TS doesn't), libx265 needs repeat-headers=1. simcam relies on that for
# its OmitParams mode. No -tune zerolatency: it turns B-frames off, and the
# recorder must be tested with reordered frames. Made with ffmpeg 5.1; other
# versions produce different bytes but the same properties.
set -eu

cd "$(dirname "$0")"

FF="ffmpeg -hide_banner -loglevel error -y"
VSRC="testsrc2=size=640x360:rate=25"
ASRC="sine=frequency=440:sample_rate=48000"

X264="-c:v libx264 -profile:v high -pix_fmt yuv420p -preset medium \
 -bf 2 -g 25 -keyint_min 25 -sc_threshold 0 -flags +cgop \
 -b:v 450k -maxrate 500k -bufsize 500k"

# H.264 High with B-frames + AAC-LC mono 48 kHz.
$FF -f lavfi -i "$VSRC" -f lavfi -i "$ASRC" -t 4 \
	$X264 \
	-c:a aac -profile:a aac_low -ac 1 -ar 48000 -b:a 48k \
	-f mpegts h264_aac.ts

# Same video + Opus mono 48 kHz in 20 ms packets, as cameras send it. Opus
# in MPEG-TS follows the ETSI "TS Opus 0.1.3" draft, which both ffmpeg's
# muxer and mediacommon's reader implement.
$FF -f lavfi -i "$VSRC" -f lavfi -i "$ASRC" -t 4 \
	$X264 \
	-c:a libopus -application audio -frame_duration 20 -ac 1 -ar 48000 -b:a 32k \
	-f mpegts h264_opus.ts

# Same video, no audio.
$FF -f lavfi -i "$VSRC" -t 4 $X264 -an -f mpegts h264.ts

# H.265 with B-frames, VPS/SPS/PPS before every keyframe.
$FF -f lavfi -i "$VSRC" -t 4 \
	-c:v libx265 -pix_fmt yuv420p -preset fast \
	-x265-params "keyint=25:min-keyint=25:scenecut=0:bframes=2:open-gop=0:repeat-headers=1:log-level=error" \
	-b:v 400k -maxrate 450k -bufsize 450k \
	-an -f mpegts h265.ts

# The same H.264 at 320x180 for 2 s: switched to mid-stream (Server.SwitchClip), it is a camera whose
# resolution changes, which must start a new segment.
$FF -f lavfi -i "testsrc2=size=320x180:rate=25" -t 2 $X264 -an -f mpegts h264_320x180.ts

ls -l h264_aac.ts h264_opus.ts h264.ts h265.ts h264_320x180.ts
