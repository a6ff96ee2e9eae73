/* The one place that maps a ts_err code to text. */
#include "twinslot/err.h"

const char *ts_strerror(int err)
{
	switch (err) {
	case TS_OK: return "success";
	case TS_ERR_INVAL: return "invalid argument";
	case TS_ERR_MAGIC: return "bad magic number";
	case TS_ERR_CRC: return "CRC mismatch";
	case TS_ERR_HDR_VERSION: return "unsupported header version or size";
	case TS_ERR_RESERVED: return "reserved field not zero";
	case TS_ERR_ADDR: return "wrong address";
	case TS_ERR_SIZE: return "size out of range";
	case TS_ERR_VECTOR: return "implausible vector table";
	case TS_ERR_HASH: return "SHA-256 mismatch";
	case TS_ERR_SEMVER: return "malformed version (expected MAJOR.MINOR.PATCH)";
	case TS_ERR_FULL: return "journal full";
	case TS_ERR_NOENT: return "not found";
	case TS_ERR_BLANK: return "erased (all 0xFF)";
	case TS_ERR_FLASH: return "flash operation failed";
	case TS_ERR_TIMEOUT: return "timed out";
	case TS_ERR_IO: return "input/output error";
	case TS_ERR_FORMAT: return "malformed input";
	case TS_ERR_NACK: return "NACK from the peer";
	case TS_ERR_PROTO: return "protocol error";
	case TS_ERR_BUFSIZE: return "buffer too small";
	case TS_ERR_UNSUPPORTED: return "not supported";
	case TS_ERR_STATE: return "not possible in this state";
	case TS_ERR_DENIED: return "refused by the server (access denied or bad signature)";
	case TS_ERR_REMOTE: return "the server reported an error";
	case TS_ERR_BUSY: return "busy: in use by another program";
	case TS_ERR_CANCELED: return "stopped on request";
	case TS_ERR_AUTH: return "not authentic (unsigned, unknown key or bad signature)";
	}
	return "unknown error";
}
