package main

import (
	"encoding/json"
	"errors"
	"io"

	"github.com/kiln-gitops/kiln/internal/diag"
)

// jsonError is an error or a warning in every --output json document: the
// same object everywhere (docs/schemas/). Parts that are unknown are left
// out; message is always there.
type jsonError struct {
	// Env is the environment the problem belongs to, if any.
	Env string `json:"env,omitempty"`
	// File is relative to the repository root where possible.
	File string `json:"file,omitempty"`
	// Line is 1-based.
	Line int `json:"line,omitempty"`
	// App is the app being rendered.
	App string `json:"app,omitempty"`
	// Object is Kind/namespace/name.
	Object string `json:"object,omitempty"`
	// Field is the path of the offending field in the file or object.
	Field string `json:"field,omitempty"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Hint says what to do.
	Hint string `json:"hint,omitempty"`
}

// jsonErrors flattens err into the objects of an "errors" list; never nil.
func jsonErrors(err error) []jsonError {
	out := []jsonError{}
	for _, e := range diag.Flatten(err) {
		env := ""
		var ee *envError
		if errors.As(e, &ee) {
			env = ee.env
			for _, x := range diag.Flatten(ee.err) {
				out = append(out, toJSONError(env, x))
			}
			continue
		}
		out = append(out, toJSONError(env, e))
	}
	return out
}

// toJSONError is err as the JSON document shows it: bounded as the text
// shows it (diag.Error.Bounded), part by part.
func toJSONError(env string, err error) jsonError {
	var ue *usageError
	if errors.As(err, &ue) && ue.err == nil {
		return jsonError{Env: env, Message: diag.Bound(ue.msg)}
	}
	var d *diag.Error
	if errors.As(err, &d) {
		b := d.Bounded()
		return jsonError{Env: env, File: b.File, Line: b.Line, App: b.App, Object: b.Object.String(), Field: b.Field, Message: b.Msg, Hint: b.Hint}
	}
	return jsonError{Env: env, Message: diag.Text(err)}
}

// jsonWarnings turns warnings into the objects of a "warnings" list,
// bounded as errors are.
func jsonWarnings(env string, ws []diag.Warning) []jsonError {
	out := []jsonError{}
	for _, w := range ws {
		out = append(out, toJSONError(env, w.AsError()))
	}
	return out
}

// jsonDocument writes doc as the one JSON document on stdout. When err is
// not nil (doc already lists it), the command still fails, silently.
func jsonDocument(stdout io.Writer, doc any, err error) error {
	if jerr := writeJSON(stdout, doc); jerr != nil {
		return errors.Join(err, jerr)
	}
	if err != nil {
		return silent{err}
	}
	return nil
}

// orEmpty is s, or an empty slice so that JSON says [] rather than null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
