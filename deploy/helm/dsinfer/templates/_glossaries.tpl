{{/* Glossary files of one colour (docs/api.md "Glossaries"): colors.<c>.glossaries when it sets
     files or existingConfigMap, else glossaries.*. Call with dict "root" $ "color" $color;
     returns {"files": {...}, "existingConfigMap": "..."} as JSON (both empty: no glossaries). */}}
{{- define "dsinfer.glossaries" -}}
{{- $own := (index .root.Values.colors .color).glossaries | default dict }}
{{- $g := .root.Values.glossaries }}
{{- $where := "glossaries" }}
{{- if or $own.files $own.existingConfigMap }}
{{- $g = $own }}
{{- $where = printf "colors.%s.glossaries" .color }}
{{- end }}
{{- $files := $g.files | default dict }}
{{- if and $files $g.existingConfigMap }}
{{- fail (printf "%s: set files or existingConfigMap, not both" $where) }}
{{- end }}
{{- $bytes := 0 }}
{{- range $name, $text := $files }}{{ $bytes = add $bytes (len $name) (len $text) }}{{ end }}
{{- if gt $bytes 1000000 }}
{{- fail (printf "%s.files: %d bytes, over a ConfigMap's 1 MiB (a Kubernetes limit, existingConfigMap too): trim the glossaries" $where $bytes) }}
{{- end }}
{{- dict "files" $files "existingConfigMap" ($g.existingConfigMap | default "") | toJson }}
{{- end -}}

{{/* The chart's ConfigMap of one colour's glossary files. */}}
{{- define "dsinfer.glossariesConfigMapName" -}}
{{- include "dsinfer.suffixedName" (dict "root" .root "suffix" (printf "glossaries-%s" .color)) -}}
{{- end -}}

{{/* sha256 of glossary files, over "<name>\0<bytes>\0<content>" in name order (the validator,
     deploy/tests/check_glossaries.mjs, recomputes it): a change of any file rolls the pods. */}}
{{- define "dsinfer.glossariesChecksum" -}}
{{- $parts := list }}
{{- range $name := keys . | sortAlpha }}
{{- $text := index $ $name }}
{{- $parts = append $parts (printf "%s\x00%d\x00%s" $name (len $text) $text) }}
{{- end }}
{{- join "" $parts | sha256sum }}
{{- end -}}

{{/* Where the pods mount the glossaries (--glossary-dir). */}}
{{- define "dsinfer.glossaryDir" -}}
/etc/dsinfer/glossaries
{{- end -}}
