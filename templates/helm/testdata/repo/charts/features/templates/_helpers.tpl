{{- define "features.name" -}}{{ .Release.Name }}-{{ .Values.name }}{{- end -}}
