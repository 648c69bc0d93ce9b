// One-line wrappers for the parts of FFmpeg that Swift cannot import: function-like macros and the
// va_list log callback. No policy lives here; every decision is made in Swift (VideoDecoding).
#ifndef VIVID_VIDEO_SHIM_H
#define VIVID_VIDEO_SHIM_H

#include <stdint.h>

/// AVERROR(EAGAIN): the codec wants more input, or has output to drain first.
int vivid_ff_error_again(void);
/// AVERROR_EOF.
int vivid_ff_error_eof(void);
/// AVERROR(EINVAL), which avformat_open_input returns for a demuxer off the whitelist.
int vivid_ff_error_invalid_argument(void);
/// AV_NOPTS_VALUE: "no timestamp".
int64_t vivid_ff_no_pts(void);
/// AVPROBE_SCORE_RETRY: probe scores at or below this are FFmpeg's own "misdetection possible".
int vivid_ff_probe_score_retry(void);

/// Receives one formatted FFmpeg log line; `context` is the object that logged (an AVClass-bearing struct).
typedef void (*vivid_ff_log_line)(void *context, int level, const char *line);
/// Routes av_log through `callback` after formatting the va_list into a line (truncated at 1 KiB).
void vivid_ff_set_log_callback(vivid_ff_log_line callback);

#endif
