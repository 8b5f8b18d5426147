/* The group (nhóm) picker of the teacher's test page (exams/teacher/_assignments.html).
 *
 * A filter box hides students whose name does not contain the typed words, accents ignored
 * ("nguyen van a" finds "Nguyễn Văn Á"); "Chọn cả lớp" ticks every visible student of a class
 * (or clears them when all are ticked); the counter says how many distinct students are
 * ticked. The form posts plain checkboxes: the page works without this script.
 */
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  }

  function setUp(form) {
    var filter = form.querySelector("[data-group-filter]");
    var counter = form.querySelector("[data-group-count]");
    var students = Array.prototype.slice.call(form.querySelectorAll("[data-group-student]"));

    function count() {
      var ids = {};
      form.querySelectorAll("input[name=student_id]:checked").forEach(function (box) {
        ids[box.value] = true;
      });
      var n = Object.keys(ids).length;
      counter.textContent = n ? counter.getAttribute("data-label").replace("{n}", n) : "";
    }

    function applyFilter() {
      var words = fold(filter.value).split(/\s+/).filter(Boolean);
      students.forEach(function (row) {
        var name = fold(row.getAttribute("data-name"));
        row.hidden = !words.every(function (w) { return name.indexOf(w) !== -1; });
      });
      form.querySelectorAll("[data-group-class]").forEach(function (box) {
        box.hidden = !box.querySelector("[data-group-student]:not([hidden])");
      });
    }

    form.querySelectorAll("[data-group-all]").forEach(function (button) {
      button.addEventListener("click", function () {
        var boxes = Array.prototype.slice.call(button.closest("[data-group-class]")
          .querySelectorAll("[data-group-student]:not([hidden]) input"));
        var all = boxes.every(function (b) { return b.checked; });
        boxes.forEach(function (b) { b.checked = !all; });
        count();
      });
    });
    form.addEventListener("change", count);
    if (filter) {
      filter.addEventListener("input", applyFilter);
      filter.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); }   // filtering, not submitting
      });
    }
    count();
  }

  document.querySelectorAll("[data-group-picker]").forEach(setUp);
})();
