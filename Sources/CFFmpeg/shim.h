// The FFmpeg headers Vivid uses (Debian bookworm: FFmpeg 5.1; libavformat 59, libavcodec 59, libavutil 57).
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
