package apirules

import "testing"

// TestCronSchedules: the schedules kube-apiserver's parser (robfig/cron
// v3's ParseStandard) accepts and refuses, with its messages.
func TestCronSchedules(t *testing.T) {
	for _, tc := range []struct{ schedule, want string }{
		{"* * * * *", ""},
		{"*/5 * * * *", ""},
		{"? * * * ?", ""},
		{"0 0 1,15 * *", ""},
		{"0 0 1,,15 * *", ""}, // empty items are skipped
		{"30 2 * * MON-FRI", ""},
		{"0 0 * JAN,jul sun", ""},
		{"0 0 * * 0-6", ""},
		{"5/15 * * * *", ""}, // 5 to 59 every 15
		{"0-30/10 8-18 * * *", ""},
		{"  0   0  *  *  *  ", ""},
		{"@hourly", ""},
		{"@daily", ""},
		{"@midnight", ""},
		{"@weekly", ""},
		{"@monthly", ""},
		{"@yearly", ""},
		{"@annually", ""},
		{"@every 1h30m", ""},
		{"", "empty spec string"},
		{"*/5 * * *", "expected exactly 5 fields, found 4: [*/5 * * *]"},
		{"0 * * * * *", "expected exactly 5 fields, found 6: [0 * * * * *]"},
		{"60 * * * *", "end of range (60) above maximum (59): 60"},
		{"* 24 * * *", "end of range (24) above maximum (23): 24"},
		{"* * 0 * *", "beginning of range (0) below minimum (1): 0"},
		{"* * 32 * *", "end of range (32) above maximum (31): 32"},
		{"* * * 13 *", "end of range (13) above maximum (12): 13"},
		{"0 0 * * 7", "end of range (7) above maximum (6): 7"},
		{"10-5 * * * *", "beginning of range (10) beyond end of range (5): 10-5"},
		{"*/0 * * * *", "step of range should be a positive number: */0"},
		{"1-2-3 * * * *", "too many hyphens: 1-2-3"},
		{"*/2/3 * * * *", "too many slashes: */2/3"},
		{"x * * * *", `failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax`},
		{"0 0 * * MON-FRII", `failed to parse int from FRII: strconv.Atoi: parsing "FRII": invalid syntax`},
		{"0 0 L * *", `failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax`},
		{"0 0 * * 1#2", `failed to parse int from 1#2: strconv.Atoi: parsing "1#2": invalid syntax`},
		{"@every 5x", `failed to parse duration @every 5x: time: unknown unit "x" in duration "5x"`},
		{"@often", "unrecognized descriptor: @often"},
		{" @daily", "expected exactly 5 fields, found 1: [@daily]"},
		{"CRON_TZ=UTC 0 0 * * *", ""}, // the TZ rule refuses it, not the parser
		{"TZ=UTC", "invalid location descriptor: TZ=UTC"},
		{"CRON_TZ=x TZ=7,", "invalid location descriptor: TZ=7,"}, // robfig/cron panics on it
	} {
		if got := cronError(tc.schedule); got != tc.want {
			t.Errorf("cronError(%q) = %q, want %q", tc.schedule, got, tc.want)
		}
	}
}

// FuzzCronError: no schedule panics kiln (robfig/cron's parser panics on
// some, which cronError must never reach or must recover from).
func FuzzCronError(f *testing.F) {
	for _, s := range []string{"*/5 * * * *", "CRON_TZ=x TZ=7,", "TZ=", "@every 1h", "0 0 * * 7", "1-2/0 * * * *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { _ = cronError(s) })
}
