package source

// maxPacketPayload is the largest payload of one protocol packet; a
// message this long or longer continues in the next packet.
const maxPacketPayload = 1<<24 - 1

// packetFramer follows the protocol packets in the bytes read from a
// connection (once past any TLS: its plaintext), from a packet boundary
// on, to tell when a message continues into another packet. go-mysql
// appends each continuation to a buffer that it grows by doubling, so
// that is when the buffer it has outgrown is garbage.
type packetFramer struct {
	// header holds the bytes of a packet header read so far.
	header [4]byte
	// got counts those bytes; 4 while reading a payload.
	got int
	// left is what remains of the current payload.
	left int
	// continues is set while the current message goes on in the next
	// packet.
	continues bool
}

// feed takes the next bytes read and reports whether they held the header
// of a packet that continues a message.
func (f *packetFramer) feed(b []byte) (continuation bool) {
	for len(b) > 0 {
		if f.got < len(f.header) {
			n := copy(f.header[f.got:], b)
			f.got += n
			b = b[n:]
			if f.got < len(f.header) {
				return continuation
			}
			length := int(f.header[0]) | int(f.header[1])<<8 | int(f.header[2])<<16
			continuation = continuation || f.continues
			f.continues = length == maxPacketPayload
			f.left = length
		}
		n := min(f.left, len(b))
		f.left -= n
		b = b[n:]
		if f.left == 0 {
			f.got = 0
		}
	}
	return continuation
}
