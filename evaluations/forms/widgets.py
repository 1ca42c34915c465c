"""A file input whose button and empty state are Chinese, for Django forms (the admin's
included): the same markup, style and script as templates/_file_input.html."""

from __future__ import annotations

from django import forms


class ChineseFileInput(forms.FileInput):
    template_name = "widgets/chinese_file_input.html"

    class Media:
        css = {"all": ["css/file-input.css"]}
        js = ["js/file-input.js"]

    def __init__(self, attrs=None, *, button: str = "选择文件") -> None:
        super().__init__(attrs)
        self.button = button

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["button"] = self.button
        return context
