// The picker (core/widgets.py): a click on a lookup result puts its id in the hidden input and
// its name in the search box; typing again clears the choice until a result is picked, so what
// is shown is always what is sent.
document.addEventListener("click", function (event) {
  var option = event.target.closest("[data-picker-option]");
  var picker = event.target.closest("[data-picker]");
  document.querySelectorAll("[data-picker-results]").forEach(function (list) {
    if (!picker || !picker.contains(list)) list.innerHTML = "";
  });
  if (!option || !picker) return;
  event.preventDefault();
  picker.querySelector("[data-picker-value]").value = option.dataset.value;
  picker.querySelector("[data-picker-text]").value = option.dataset.label;
  picker.querySelector("[data-picker-results]").innerHTML = "";
});
document.addEventListener("input", function (event) {
  var text = event.target.closest("[data-picker-text]");
  if (!text) return;
  // A typed name or code is sent as it is (the resolver reads names and codes) until a result
  // is picked.
  text.closest("[data-picker]").querySelector("[data-picker-value]").value = text.value;
});
