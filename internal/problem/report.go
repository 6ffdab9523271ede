package problem

// Reporter takes the problems of a settings block by key path, such as
// "routes[0].stream"; whoever read the block from a file turns the keys
// into lines and columns. Each stage's settings type reports through one,
// so that its checks live beside its defaults and its code.
type Reporter interface {
	// At reports msg about the value at key.
	At(key, msg string)
	// Rejected reports whether the value at key could not be decoded at
	// all, so that checks need not report it a second time.
	Rejected(key string) bool
}

// Under returns a Reporter that puts prefix and a dot in front of every key
// given to r; an empty key reports at prefix itself.
func Under(r Reporter, prefix string) Reporter { return under{r, prefix} }

type under struct {
	r      Reporter
	prefix string
}

func (u under) At(key, msg string)       { u.r.At(u.join(key), msg) }
func (u under) Rejected(key string) bool { return u.r.Rejected(u.join(key)) }

func (u under) join(key string) string {
	switch {
	case key == "":
		return u.prefix
	case u.prefix == "":
		return key
	case key[0] == '[':
		return u.prefix + key
	}
	return u.prefix + "." + key
}

// At appends a problem without a position, for settings built in code.
func (l *List) At(key, msg string) { *l = append(*l, Problem{Key: key, Message: msg}) }

// Rejected is always false: settings built in code were never decoded.
func (l *List) Rejected(string) bool { return false }

// Err returns l as an error, or nil when it holds no problem.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

var _ Reporter = (*List)(nil)
