#include "CVideoShim.h"
#include <errno.h>
#include <stdio.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>

int vivid_ff_error_again(void) { return AVERROR(EAGAIN); }
int vivid_ff_error_eof(void) { return AVERROR_EOF; }
int vivid_ff_error_invalid_argument(void) { return AVERROR(EINVAL); }
int64_t vivid_ff_no_pts(void) { return AV_NOPTS_VALUE; }
int vivid_ff_probe_score_retry(void) { return AVPROBE_SCORE_RETRY; }

static vivid_ff_log_line log_line_callback;

static void format_log_line(void *context, int level, const char *format, va_list arguments) {
    char line[1024];
    vsnprintf(line, sizeof line, format, arguments);
    log_line_callback(context, level, line);
}

void vivid_ff_set_log_callback(vivid_ff_log_line callback) {
    log_line_callback = callback;
    av_log_set_callback(callback ? format_log_line : av_log_default_callback);
}
