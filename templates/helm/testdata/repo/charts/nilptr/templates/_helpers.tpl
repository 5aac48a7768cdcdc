{{- define "nilptr.db" -}}
host: {{ .Values.database.host }}
port: {{ .Values.database.port.number }}
{{- end }}
