#!/bin/sh
# Writes the load test's camera clip to $1: 1080p25 H.264 High at ~2 Mbit/s,
# 10 s, testsrc2 (moving, with a frame counter), closed 2 s GOPs with
# B-frames and SPS/PPS before every IDR, like a typical IP camera's main
# stream. Not committed (about 2.5 MB); the bench generates it.
#
#   bench/make-1080p-clip.sh /tmp/cam1080p.ts
#   go run ./bench/simcams -n 200 -clip /tmp/cam1080p.ts
#
# MPEG-TS because simcam.LoadClip reads that; no audio, as most cameras in a
# load test would not carry any.
set -eu

out=${1:?usage: $0 OUTPUT.ts}

# CBR-ish (maxrate = bitrate) so every second of the loop costs the recorder
# about the same, instead of an average hiding bursts.
ffmpeg -hide_banner -loglevel error -y \
	-f lavfi -i "testsrc2=size=1920x1080:rate=25" -t 10 \
	-c:v libx264 -profile:v high -pix_fmt yuv420p -preset veryfast \
	-bf 2 -g 50 -keyint_min 50 -sc_threshold 0 -flags +cgop \
	-b:v 2M -maxrate 2M -bufsize 2M \
	-an -f mpegts "$out"
