// Making hostile text safe for each output format. Messages and paths carry
// bytes from the files ptlint reads (a pickled global's module name, a file
// name): invalid UTF-8, NUL, ESC (terminal escape sequences), newlines that
// would forge a second finding or a second workflow command. Every renderer
// passes its text through one of these, so each format stays valid (XML,
// JSON, SARIF) and nothing the file author wrote reaches a terminal or a CI
// log as a control sequence.
//
// One spelling for what cannot be shown: `\xNN` (two upper-case hex digits)
// for a byte that is not valid UTF-8 or is a control character. The text is
// readable, greppable and the same in every format.
#ifndef PTLINT_RENDER_TEXT_ESCAPE_H_
#define PTLINT_RENDER_TEXT_ESCAPE_H_

#include <string>
#include <string_view>

namespace ptlint {

// Valid UTF-8 stays; each byte of an invalid sequence (stray continuation,
// overlong form, surrogate, code point above U+10FFFF, truncated sequence)
// becomes `\xNN`. Control characters are kept (JSON escapes them itself).
std::string ValidUtf8(std::string_view s);

// For terminals and CI logs: ValidUtf8, and every C0 control, DEL and C1
// control (U+0080..U+009F, which some terminals read as CSI) becomes `\xNN`
// (C1 as `\u0080`..`\u009F`). Tab stays; newline stays only with
// `keep_newlines` (a message body), else it is `\x0A` too (a path or a
// one-line field, where a newline would start a forged line).
std::string DisplayText(std::string_view s, bool keep_newlines = false);

// For XML 1.0 character data and attribute values: DisplayText (XML forbids
// most C0 controls and U+FFFE/U+FFFF, which become `\uFFFE`/`\uFFFF`), then
// `& < > " '` as entities; in attributes newline and tab as `&#10;`/`&#9;` so
// a parser does not normalise them to spaces.
std::string XmlText(std::string_view s, bool attribute);

// The (1-based) UTF-16 code unit column of a (1-based) byte column in `line`,
// as SARIF's `columnKind: utf16CodeUnits` and LSP clients count. A byte
// column inside a multi-byte sequence counts from that character's start; a
// column past the end counts the rest as one unit a byte. Invalid bytes count
// one unit each.
int Utf16Column(std::string_view line, int byte_column);

// The (1-based) column in characters (code points) of a byte column, for a
// caret under the source line in the terminal.
int CharacterColumn(std::string_view line, int byte_column);

}  // namespace ptlint

#endif  // PTLINT_RENDER_TEXT_ESCAPE_H_
