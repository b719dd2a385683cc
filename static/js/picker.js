// The picker (core/widgets.py): a click on a lookup result puts its id in the hidden input and
// its name in the search box; typing again clears the choice until a result is picked, so what
// is shown is always what is sent. The multi-picker adds a picked result to its ticked choices
// (unticking one drops it) and empties its box for the next search.
function pickerAdd(picker, option) {
  var chosen = picker.querySelector("[data-multipicker-chosen]");
  var present = Array.prototype.find.call(
    chosen.querySelectorAll("input[type=checkbox]"),
    function (box) { return box.value === option.dataset.value; }
  );
  if (present) {
    present.checked = true;
  } else {
    var label = document.createElement("label");
    label.className = "border rounded px-2 py-1 small";
    label.setAttribute("data-multipicker-choice", "");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.className = "form-check-input me-1";
    box.name = picker.dataset.name;
    box.value = option.dataset.value;
    box.checked = true;
    label.appendChild(box);
    label.appendChild(document.createTextNode(option.dataset.label));
    chosen.appendChild(label);
  }
  var text = picker.querySelector("[data-multipicker-text]");
  text.value = "";
  text.focus();
}
document.addEventListener("click", function (event) {
  var option = event.target.closest("[data-picker-option]");
  var picker = event.target.closest("[data-picker], [data-multipicker]");
  document.querySelectorAll("[data-picker-results]").forEach(function (list) {
    if (!picker || !picker.contains(list)) list.innerHTML = "";
  });
  if (!option || !picker) return;
  event.preventDefault();
  picker.querySelector("[data-picker-results]").innerHTML = "";
  if (picker.hasAttribute("data-multipicker")) {
    pickerAdd(picker, option);
    return;
  }
  picker.querySelector("[data-picker-value]").value = option.dataset.value;
  picker.querySelector("[data-picker-text]").value = option.dataset.label;
});
document.addEventListener("input", function (event) {
  var text = event.target.closest("[data-picker-text]");
  if (!text) return;
  // A typed name or code is sent as it is (the resolver reads names and codes) until a result
  // is picked; where the box carries the field itself (data-picker-typed), the id is cleared.
  var picker = text.closest("[data-picker]");
  picker.querySelector("[data-picker-value]").value = picker.hasAttribute("data-picker-typed")
    ? ""
    : text.value;
});
// A picker's box carries a name of its own (`<field>__text`) and the multi-picker's the field's
// name, so a name typed without JavaScript is sent with the form; the lookup reads its search
// as `q`.
document.addEventListener("htmx:configRequest", function (event) {
  var text = event.detail.elt;
  if (!text.hasAttribute) return;
  var searches = text.hasAttribute("data-multipicker-text") ||
    (text.hasAttribute("data-picker-text") && !text.closest("[data-picker-typed]"));
  if (!searches) return;
  delete event.detail.parameters[text.name];
  event.detail.parameters.q = text.value;
});
