{{/* Names and labels shared by every template. */}}

{{- define "stackd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "stackd.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A name for one part of the release ("exporter", "grafana-sync", ...), within 63 characters. */}}
{{- define "stackd.componentName" -}}
{{- $root := index . 0 -}}
{{- $part := index . 1 -}}
{{- printf "%s-%s" (include "stackd.fullname" $root | trunc (int (sub 62 (len $part)))) $part | trimSuffix "-" -}}
{{- end -}}

{{- define "stackd.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "stackd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component (exporter, grafana-sync). */}}
{{- define "stackd.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "stackd.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "stackd.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* ConfigMap name of one dashboard file. */}}
{{- define "stackd.dashboardConfigMapName" -}}
{{- $root := index . 0 -}}
{{- $file := index . 1 -}}
{{- include "stackd.componentName" (list $root (printf "dashboard-%s" (base $file | trimSuffix ".json"))) -}}
{{- end -}}
