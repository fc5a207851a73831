// Typeahead for inputs marked data-suggest="speakers|organisations|topics":
// fills the input's <datalist> with matching names as the reader types.
// Without this script the inputs still accept a name or slug.
(function () {
  "use strict";
  var base = document.documentElement.getAttribute("data-suggest-url");
  if (!base || !window.fetch) { return; }
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) { return; }
    var timer = null, last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var term = input.value.trim();
        if (term.length < 2 || term === last) { return; }
        last = term;
        var url = base.replace("KIND", input.getAttribute("data-suggest")) + "?q=" + encodeURIComponent(term);
        fetch(url, { headers: { "Accept": "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            list.replaceChildren.apply(list, data.results.map(function (item) {
              var option = document.createElement("option");
              option.value = item.name;
              return option;
            }));
          })
          .catch(function () { /* suggestions are a convenience; typing still works */ });
      }, 150);
    });
  });
})();
